// A model's demo in one HTML file, with no server: sliders over every latent dimension, a
// traversal of one dimension, interpolation between two saved views, the saved views themselves
// and a small map whose points open their latent. Everything decodes in this page with
// DecoderRuntime (decoder_runtime.js, inlined before this script): the compact runtime, or ONNX
// Runtime Web from the copy this file embeds. The data (decoder and its suffix, ONNX Runtime's
// module and WebAssembly for an ".onnx", latent spec, views, map) is the JSON in the element with
// id "demo-data"; every text from it is set as textContent.
// ONNX Runtime decodes asynchronously, so every picture awaits its decode, and each kind of drawing
// runs one at a time on its newest request (newestOnly): a control moved during a decode is drawn
// with its last value once that decode is done, and values it passed through meanwhile are skipped.
(async () => {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const { element, pictureCanvas, draw } = DecoderRuntime;
  const [, H, W] = data.image_shape;
  const scale = (px) => Math.max(1, Math.floor(px / Math.max(H, W)));
  const STEPS = 9;
  const views = data.views.map((v) => ({ name: v.name, z: v.z.slice() }));
  let z = (fromHash() || views[0].z).slice();

  const root = document.getElementById("demo");
  root.append(element("h1", "", data.title));
  root.append(element("p", "note", data.subtitle));
  const status = root.appendChild(element("p", "note", "Starting the decoder…"));
  let decoder;
  try {
    decoder = await openDecoder();
  } catch (error) {
    status.textContent = `This browser cannot run the demo's decoder: ${error.message}`;
    return;
  }
  status.remove();
  // For tests and benchmarks: the page's own decode, as its controls use it. It returns the pixels
  // (Float32Array [C * H * W] in [0, 1]) from the compact runtime, a promise of them from ONNX
  // Runtime: await it.
  window.latentAtlasDemo = { decode: (latent) => decoder.decode(latent), latentDim: data.latent_spec.length };

  // The decoder; for an ".onnx", ONNX Runtime Web from this file, which has no server to fetch it
  // from: its module through a Blob URL (import() takes only a URL) and its WebAssembly as bytes.
  function openDecoder() {
    if (data.decoder_suffix === ".onnx") {
      const module = new Blob([data.onnx_runtime.module], { type: "text/javascript" });
      DecoderRuntime.useEmbeddedOnnxRuntime(URL.createObjectURL(module), bytesOf(data.onnx_runtime.wasm));
    }
    return DecoderRuntime.open(bytesOf(data.decoder).buffer, data.decoder_suffix);
  }

  // Base64 to bytes in a plain loop: 0.07 s for ONNX Runtime's 15 MB, where mapping each character
  // with Uint8Array.from takes over a second.
  function bytesOf(base64) {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  function fromHash() {
    const match = /z=([^&]+)/.exec(location.hash);
    if (!match) return null;
    const values = decodeURIComponent(match[1]).split(",").map(Number);
    return values.length === data.latent_spec.length && values.every(Number.isFinite) ? values : null;
  }

  // A job run at most once per animation frame and never twice at once: asked while it runs, it
  // runs again when done, with the state as it is then. The job gets stale(): whether it has been
  // asked again since it began, so it can stop a strip that is already out of date.
  function newestOnly(job) {
    let running = false, asked = false;
    return async () => {
      asked = true;
      if (running) return;
      running = true;
      try {
        while (asked) {
          await new Promise(requestAnimationFrame);
          asked = false;
          await job(() => asked);
        }
      } catch (error) {
        root.append(element("p", "note", `A picture could not be decoded: ${error.message}`));
      } finally {
        running = false;
      }
    };
  }

  function paint(canvas, pixels, px) {
    const s = scale(px);
    if (canvas.width !== W * s) Object.assign(canvas, { width: W * s, height: H * s });
    draw(canvas.getContext("2d"), pixels, data.image_shape, 0, 0, s);
  }

  // Each latent decoded into its canvas in turn, until the strip is stale.
  async function paintStrip(canvases, latents, px, stale) {
    for (let k = 0; k < canvases.length; k++) {
      const pixels = await decoder.decode(latents[k]);
      if (stale()) return;
      paint(canvases[k], pixels, px);
    }
  }

  // Range of a dimension's control: a categorical code's values, else its slider span.
  const span = (d) => (d.kind === "categorical" ? [0, d.classes.length - 1] : [d.low, d.high]);

  const top = element("div", "row");
  const controls = element("div", "controls");
  const picture = pictureCanvas("picture", "the decoded picture");
  picture.dataset.role = "picture";
  const side = element("div", "side");
  top.append(controls, picture, side);
  root.append(top);

  const inputs = data.latent_spec.map((d, i) => {
    const label = element("label", "", `${d.name} `);
    let input;
    if (d.kind === "categorical") {
      input = element("select");
      d.classes.forEach((name, value) => input.append(Object.assign(element("option", "", name), { value })));
    } else {
      input = Object.assign(element("input"), { type: "range", min: d.low, max: d.high, step: 0.01 });
    }
    input.dataset.dim = String(i);
    input.addEventListener("input", () => { z[i] = Number(input.value); changed(); });
    label.append(input);
    controls.append(label);
    return input;
  });

  // Traversal: one dimension across its span, the rest as set.
  const traversal = element("div", "block");
  const dimChoice = element("select");
  data.latent_spec.forEach((d, i) => dimChoice.append(Object.assign(element("option", "", d.name), { value: i })));
  const strip = Array.from({ length: STEPS }, () => pictureCanvas("cell", "a step of the traversal"));
  traversal.append(element("h2", "", "Traversal"), dimChoice, element("div", "strip"));
  traversal.lastChild.append(...strip);
  dimChoice.addEventListener("change", () => changed());

  // Interpolation between two saved views.
  const between = element("div", "block");
  const from = element("select"), to = element("select");
  const t = Object.assign(element("input"), { type: "range", min: 0, max: 1, step: 0.01, value: 0.5 });
  const blend = pictureCanvas("cell", "the interpolated picture");
  const path = Array.from({ length: STEPS }, () => pictureCanvas("cell", "a step of the path"));
  between.append(element("h2", "", "Interpolate between saved views"), from, to, t, blend,
                 element("div", "strip"));
  between.lastChild.append(...path);
  [from, to, t].forEach((node) => node.addEventListener("input", () => paintPath()));

  // Saved views: click to open; save the current one.
  const saved = element("div", "block");
  const list = element("div", "views");
  const save = element("button", "", "Save this view");
  save.addEventListener("click", () => {
    views.push({ name: `view ${views.length + 1}`, z: z.slice() });
    listViews();
  });
  saved.append(element("h2", "", "Saved views"), list, save);
  side.append(saved);
  root.append(traversal, between);

  function listViews() {
    list.replaceChildren(...views.map((v) => {
      const button = element("button", "", v.name);
      button.addEventListener("click", () => { z = v.z.slice(); changed(); });
      return button;
    }));
    for (const select of [from, to]) {
      const kept = select.value;
      select.replaceChildren(...views.map((v, i) => Object.assign(element("option", "", v.name), { value: i })));
      if (kept) select.value = kept;
    }
    if (!to.value || to.value === from.value) to.value = String(Math.min(1, views.length - 1));
    paintPath();
  }

  // The map: points coloured by class; a click opens the nearest point's latent.
  if (data.map) {
    const block = element("div", "block");
    const map = pictureCanvas("map", "a map of latents; click a point to open it");
    Object.assign(map, { width: 320, height: 320 });
    const { x, y, label, latents, class_names: names } = data.map;
    const bounds = (v) => [Math.min(...v), Math.max(...v)];
    const [x0, x1] = bounds(x), [y0, y1] = bounds(y);
    const px = (i) => [8 + (304 * (x[i] - x0)) / (x1 - x0 || 1), 8 + (304 * (y1 - y[i])) / (y1 - y0 || 1)];
    const ctx = map.getContext("2d");
    x.forEach((_, i) => {
      const [u, v] = px(i);
      ctx.fillStyle = `hsl(${(label[i] * 360) / Math.max(1, names.length)}, 70%, 45%)`;
      ctx.fillRect(u - 2, v - 2, 4, 4);
    });
    map.addEventListener("click", (event) => {
      const box = map.getBoundingClientRect();
      const [u, v] = [event.clientX - box.left, event.clientY - box.top];
      let best = 0, bestD = Infinity;
      x.forEach((_, i) => {
        const [a, b] = px(i);
        const d = (a - u) ** 2 + (b - v) ** 2;
        if (d < bestD) [best, bestD] = [i, d];
      });
      z = latents[best].slice();
      changed();
    });
    const legend = element("p", "note");
    names.forEach((name, i) => {
      const swatch = element("span", "", "■ ");
      swatch.style.color = `hsl(${(i * 360) / Math.max(1, names.length)}, 70%, 45%)`;
      legend.append(swatch, element("span", "", `${name}  `));
    });
    block.append(element("h2", "", data.map.title), map, legend);
    side.append(block);
  }

  // The traversal's latents: the chosen dimension of `around` across its span.
  function traversalLatents(around) {
    const i = Number(dimChoice.value), [low, high] = span(data.latent_spec[i]);
    return strip.map((_, k) => {
      const step = around.slice();
      step[i] = data.latent_spec[i].kind === "categorical"
        ? Math.round(low + ((high - low) * k) / (STEPS - 1)) : low + ((high - low) * k) / (STEPS - 1);
      return step;
    });
  }

  function lerp(a, b, s) {
    return a.map((v, i) => (data.latent_spec[i].kind === "categorical" ? (s < 0.5 ? v : b[i]) : v + (b[i] - v) * s));
  }

  // The picture and the traversal, for z as it is when a frame comes.
  const changed = newestOnly(async (stale) => {
    const shown = z.slice();
    inputs.forEach((input, i) => { if (Number(input.value) !== shown[i]) input.value = shown[i]; });
    paint(picture, await decoder.decode(shown), 280);
    history.replaceState(null, "", `#z=${shown.map((v) => Number(v.toFixed(4))).join(",")}`);
    picture.dataset.frames = String(Number(picture.dataset.frames || 0) + 1);
    await paintStrip(strip, traversalLatents(shown), 72, stale);
  });

  const paintPath = newestOnly(async (stale) => {
    if (!views[from.value] || !views[to.value]) return;
    const a = views[from.value].z, b = views[to.value].z;
    paint(blend, await decoder.decode(lerp(a, b, Number(t.value))), 96);
    await paintStrip(path, path.map((_, k) => lerp(a, b, k / (STEPS - 1))), 72, stale);
  });

  listViews();
  changed();
})();
