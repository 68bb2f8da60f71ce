// Runs a model's decoder in the page, with one of two engines chosen by ui/decode_path.py from the
// URL's suffix: ".bin", the compact format of gen_core.media.browser_decoder (see its docstring),
// run by the small runtime below; ".onnx", a graph from gen_core.media.onnx_decoder, run by the
// vendored ONNX Runtime Web (static/ort/, WebAssembly with SIMD, one thread), which the app serves
// and a page without a server (the standalone demo) embeds (useEmbeddedOnnxRuntime).
// Either decoder's decode(z) gives pixels (a Float32Array [C * H * W] in [0, 1]) or a promise of
// them, so callers await it.
// Compact activations are Float32Arrays in [C, H, W] order; sums are accumulated in doubles so the
// result matches PyTorch's float32 decode to about 1e-6.
const DecoderRuntime = (() => {
  // Where the server serves ONNX Runtime Web, relative to the page (kept under a proxy's base path).
  const ORT_DIR = "app/static/ort/";
  const ORT_MODULE = "ort.wasm.bundle.min.mjs", ORT_WASM = "ort-wasm-simd-threaded.wasm";

  function parse(buffer) {
    const headerLength = new DataView(buffer).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headerLength)));
    if (header.format !== "latent-atlas-decoder" || header.version !== 1) {
      throw new Error(`not a decoder this page can run (${header.format} v${header.version})`);
    }
    return new Decoder(header, new Float32Array(buffer, 4 + headerLength));
  }

  function slice(weights, ref) {
    return weights.subarray(ref[0], ref[0] + ref[1]);
  }

  // Transposed-convolution weights [in, out, k, k] reordered to [in, k, k, out], so the innermost
  // loop (over output channels) reads and writes contiguous memory.
  function outputChannelsLast(w, cin, cout, k) {
    const t = new Float32Array(w.length);
    for (let ci = 0; ci < cin; ci++)
      for (let co = 0; co < cout; co++)
        for (let kk = 0; kk < k * k; kk++) t[(ci * k * k + kk) * cout + co] = w[(ci * cout + co) * k * k + kk];
    return t;
  }

  function linear(op, x) {
    const { in: n, out: m, w, b } = op;
    const y = new Float32Array(m);
    for (let o = 0; o < m; o++) {
      let sum = b[o];
      const row = o * n;
      for (let i = 0; i < n; i++) sum += w[row + i] * x[i];
      y[o] = sum;
    }
    return y;
  }

  function convTranspose2d(op, x, inShape) {
    const { in: cin, out: cout, kernel: k, stride: s, padding: p, wt, b } = op;
    const [, H, W] = inShape;
    const [, OH, OW] = op.shape;
    const acc = new Float64Array(OH * OW * cout);
    for (let ci = 0; ci < cin; ci++) {
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          const v = x[(ci * H + ih) * W + iw];
          if (v === 0) continue; // after a ReLU most inputs are zero
          for (let kh = 0; kh < k; kh++) {
            const oh = ih * s - p + kh;
            if (oh < 0 || oh >= OH) continue;
            for (let kw = 0; kw < k; kw++) {
              const ow = iw * s - p + kw;
              if (ow < 0 || ow >= OW) continue;
              const wBase = ((ci * k + kh) * k + kw) * cout;
              const oBase = (oh * OW + ow) * cout;
              for (let co = 0; co < cout; co++) acc[oBase + co] += v * wt[wBase + co];
            }
          }
        }
      }
    }
    const y = new Float32Array(cout * OH * OW);
    for (let co = 0; co < cout; co++)
      for (let i = 0; i < OH * OW; i++) y[co * OH * OW + i] = acc[i * cout + co] + b[co];
    return y;
  }

  function map(x, f) {
    for (let i = 0; i < x.length; i++) x[i] = f(x[i]);
    return x;
  }

  function channelAffine(op, x) {
    const per = x.length / op.scaleValues.length;
    for (let i = 0; i < x.length; i++) {
      const c = Math.floor(i / per);
      x[i] = x[i] * op.scaleValues[c] + op.shiftValues[c];
    }
    return x;
  }

  function oneHotColumn(op, x) {
    const y = new Float32Array(op.shape[0]);
    const index = Math.min(op.classes - 1, Math.max(0, Math.round(x[op.column])));
    y.set(x.subarray(0, op.column), 0);
    y[op.column + index] = 1;
    y.set(x.subarray(op.column + 1), op.column + op.classes);
    return y;
  }

  class Decoder {
    constructor(header, weights) {
      this.latentDim = header.latent_dim;
      this.imageShape = header.image_shape;
      this.ops = header.layers.map((op) => {
        const ready = { ...op };
        if (op.weight) ready.w = slice(weights, op.weight);
        if (op.bias) ready.b = slice(weights, op.bias);
        if (op.op === "conv_transpose2d") ready.wt = outputChannelsLast(ready.w, op.in, op.out, op.kernel);
        if (op.op === "channel_affine") {
          ready.scaleValues = slice(weights, op.scale);
          ready.shiftValues = slice(weights, op.shift);
        }
        return ready;
      });
    }

    // One latent (an array of latentDim numbers) -> pixels in [0, 1], Float32Array [C * H * W].
    decode(z) {
      if (z.length !== this.latentDim) throw new Error(`latent needs ${this.latentDim} values, got ${z.length}`);
      let x = Float32Array.from(z);
      let shape = [this.latentDim];
      for (const op of this.ops) {
        switch (op.op) {
          case "linear": x = linear(op, x); break;
          case "conv_transpose2d": x = convTranspose2d(op, x, shape); break;
          case "channel_affine": x = channelAffine(op, x); break;
          case "relu": x = map(x, (v) => (v > 0 ? v : 0)); break;
          case "leaky_relu": x = map(x, (v) => (v > 0 ? v : v * op.slope)); break;
          case "tanh": x = map(x, Math.tanh); break;
          case "sigmoid": x = map(x, (v) => 1 / (1 + Math.exp(-v))); break;
          case "scale_shift": x = map(x, (v) => v * op.scale + op.shift); break;
          case "one_hot_column": x = oneHotColumn(op, x); break;
          case "reshape": break;
          default: throw new Error(`unknown op ${op.op}`);
        }
        shape = op.shape;
      }
      return x;
    }
  }

  // ONNX Runtime Web, imported once per page: from the server, unless useEmbeddedOnnxRuntime gave
  // the page's own copy. One thread: threads need a cross-origin isolated page, which Streamlit
  // does not serve and a file opened from disk is not.
  let embeddedOrt = null;
  let ortModule = null;
  function onnxRuntime() {
    const url = embeddedOrt?.moduleUrl ?? new URL(ORT_DIR + ORT_MODULE, document.baseURI).href;
    ortModule ??= import(url).then((ort) => {
      ort.env.wasm.numThreads = 1;
      if (embeddedOrt) {
        ort.env.wasm.wasmBinary = embeddedOrt.wasmBinary; // compiled from memory: nothing is fetched
      } else {
        // The WebAssembly file alone: a path prefix would make it fetch the loader the bundle holds.
        ort.env.wasm.wasmPaths = { wasm: new URL(ORT_DIR + ORT_WASM, document.baseURI).href };
      }
      return ort;
    });
    ortModule.catch(() => { ortModule = null; }); // a failed download is retried next time
    return ortModule;
  }

  // For a page with no server: ONNX Runtime Web's module at moduleUrl (a Blob URL of
  // ort.wasm.bundle.min.mjs) and its WebAssembly as bytes. Call before the first openOnnx.
  function useEmbeddedOnnxRuntime(moduleUrl, wasmBinary) {
    embeddedOrt = { moduleUrl, wasmBinary };
  }

  // A graph from gen_core.media.onnx_decoder: input "z" [B, D], output "image" [B, C, H, W].
  class OnnxDecoder {
    constructor(ort, session) {
      this.ort = ort;
      this.session = session;
      this.latentDim = session.inputMetadata[0].shape[1];
      this.imageShape = session.outputMetadata[0].shape.slice(1);
      this.queue = Promise.resolve(); // a session runs one decode at a time: later ones wait their turn
    }

    decode(z) {
      if (z.length !== this.latentDim) {
        return Promise.reject(new Error(`latent needs ${this.latentDim} values, got ${z.length}`));
      }
      const input = new this.ort.Tensor("float32", Float32Array.from(z), [1, this.latentDim]);
      const run = this.queue.then(() => this.session.run({ z: input })).then((out) => out.image.data);
      this.queue = run.catch(() => {});
      return run;
    }
  }

  async function openOnnx(buffer) {
    const ort = await onnxRuntime();
    const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
    const session = await ort.InferenceSession.create(new Uint8Array(buffer), options);
    return new OnnxDecoder(ort, session);
  }

  // A decoder file from ui.decode_path.page_decoder, by its suffix (".bin" or ".onnx").
  async function open(buffer, suffix) {
    return suffix === ".onnx" ? openOnnx(buffer) : parse(buffer);
  }

  function isOnnx(url) {
    return new URL(url, document.baseURI).pathname.endsWith(".onnx");
  }

  // One download per decoder URL for the page's lifetime; every panel of the model shares it.
  const shared = (window.__latentAtlas ??= { decoders: new Map(), frames: 0 });
  function load(url) {
    if (!shared.decoders.has(url)) {
      const pending = fetch(url).then((response) => {
        if (!response.ok) throw new Error(`decoder ${url}: HTTP ${response.status}`);
        return response.arrayBuffer();
      }).then((buffer) => open(buffer, isOnnx(url) ? ".onnx" : ".bin"));
      pending.catch(() => shared.decoders.delete(url)); // a failed download is retried next time
      shared.decoders.set(url, pending);
    }
    return shared.decoders.get(url);
  }

  // Pixels [C, H, W] in [0, 1] into a canvas at (x, y), each pixel a scale x scale square: the
  // image is written once at its own size and the browser enlarges it without smoothing, far
  // cheaper than writing every enlarged pixel from script.
  const staging = document.createElement("canvas");
  function draw(ctx, pixels, imageShape, x, y, scale) {
    const [C, H, W] = imageShape;
    if (staging.width !== W || staging.height !== H) Object.assign(staging, { width: W, height: H });
    const small = staging.getContext("2d");
    const image = small.createImageData(W, H);
    const out = image.data;
    for (let i = 0; i < H * W; i++) {
      for (let c = 0; c < 3; c++) {
        const v = pixels[(C === 1 ? 0 : c) * H * W + i];
        out[i * 4 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
      out[i * 4 + 3] = 255;
    }
    small.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(staging, x, y, W * scale, H * scale);
  }

  // Paints a grid of decoded latents into a canvas a few milliseconds per animation frame, so a
  // picture drawn elsewhere on the page each frame is never held up. Cells of a previous grid stay
  // until overwritten, so the grid updates in place rather than flashing empty.
  class GridPainter {
    constructor(canvas, imageShape, scale, gap, columns, rows) {
      Object.assign(this, { canvas, imageShape, scale, gap, columns });
      const [, H, W] = imageShape;
      this.cellW = W * scale + gap;
      this.cellH = H * scale + gap;
      canvas.width = columns * this.cellW - gap;
      canvas.height = rows * this.cellH - gap;
      this.cells = [];
      this.next = 0;
      this.msPerCell = null; // a running mean of the decodes' times, once one is timed
    }

    // latents: one array per cell, row by row.
    paint(latents) {
      this.cells = latents;
      this.next = 0;
    }

    // Decode and draw cells for up to budgetMs, starting a decode only where the last ones say it
    // will fit; with atLeastOne, one even when it will not, so a slow decoder still paints. A call
    // while one is still working returns at once.
    async work(decoder, budgetMs, atLeastOne = true) {
      if (this.working) return;
      this.working = true;
      try {
        const ctx = this.canvas.getContext("2d");
        const started = performance.now();
        for (let done = 0; this.next < this.cells.length; done++) {
          const now = performance.now();
          if (!(atLeastOne && done === 0) && now - started + (this.msPerCell ?? 0) > budgetMs) break;
          const cells = this.cells, index = this.next;
          const pixels = await decoder.decode(cells[index]);
          const took = performance.now() - now;
          this.msPerCell = this.msPerCell === null ? took : 0.8 * this.msPerCell + 0.2 * took;
          if (cells !== this.cells || index !== this.next) continue; // repainted meanwhile: drop it
          const column = index % this.columns, row = Math.floor(index / this.columns);
          draw(ctx, pixels, this.imageShape, column * this.cellW, row * this.cellH, this.scale);
          this.next += 1;
          if (this.next === this.cells.length) {
            this.canvas.dataset.complete = String(Number(this.canvas.dataset.complete || 0) + 1);
          }
        }
      } finally {
        this.working = false;
      }
    }
  }

  // The small DOM helpers every component here uses.
  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A canvas announced to screen readers as a picture described by `label`.
  function pictureCanvas(className, label) {
    const canvas = element("canvas", className);
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label);
    return canvas;
  }

  return { parse, openOnnx, open, useEmbeddedOnnxRuntime, load, draw, element, pictureCanvas, Decoder,
           GridPainter, shared };
})();
