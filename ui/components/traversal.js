// The live traversal grid: one row per chosen dimension swept across its range, following the
// latent panel's events while a control moves. Cells are decoded in time slices of a few
// milliseconds per animation frame, so the panel's own picture is never held up.
const GRIDS = new WeakMap();
const SLICE_MS = 8;

class LiveTraversal {
  constructor(parent, data) {
    this.data = data;
    const latest = DecoderRuntime.shared.latest?.[data.model];
    this.z = (latest && latest.length === data.z.length ? latest : data.z).slice();
    this.next = 0;
    this.decoder = null;
    parent.querySelectorAll(".la-traversal").forEach((old) => old.remove());
    this.root = document.createElement("div");
    this.root.className = "la-traversal";
    const [, H, W] = data.image_shape;
    const columns = data.values[0].length;
    this.cellW = W * data.scale + data.gap;
    this.cellH = H * data.scale + data.gap;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "la-grid";
    this.canvas.width = columns * this.cellW - data.gap;
    this.canvas.height = data.values.length * this.cellH - data.gap;
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", data.caption);
    this.root.appendChild(this.canvas);
    parent.appendChild(this.root);
    this.onLatent = (event) => {
      if (event.detail.model !== this.data.model) return;
      this.z = event.detail.z.slice();
      this.next = 0;
    };
    window.addEventListener("latent-atlas-z", this.onLatent);
    DecoderRuntime.load(data.decoder_url).then((decoder) => { this.decoder = decoder; });
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  tick() {
    if (!this.root.isConnected) {
      window.removeEventListener("latent-atlas-z", this.onLatent);
      return;
    }
    const { values, dims, scale } = this.data;
    const columns = values[0].length;
    const cells = values.length * columns;
    if (this.decoder && this.next < cells) {
      const ctx = this.canvas.getContext("2d");
      const started = performance.now();
      while (this.next < cells && performance.now() - started < SLICE_MS) {
        const row = Math.floor(this.next / columns);
        const column = this.next % columns;
        const cell = this.z.slice();
        cell[dims[row]] = values[row][column];
        const pixels = this.decoder.decode(cell);
        DecoderRuntime.draw(ctx, pixels, this.decoder.imageShape, column * this.cellW, row * this.cellH, scale);
        this.next += 1;
      }
      if (this.next === cells) this.canvas.dataset.complete = String(Number(this.canvas.dataset.complete || 0) + 1);
    }
    requestAnimationFrame(this.tick);
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const current = GRIDS.get(parentElement);
  if (current && current.data.identity === data.identity && current.root.isConnected) return;
  GRIDS.set(parentElement, new LiveTraversal(parentElement, data));
}
