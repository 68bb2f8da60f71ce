// The live traversal grid: one row per chosen dimension swept across its range, following the
// latent panel's events while a control moves.
const GRIDS = new WeakMap();
// The grid's time per frame: small while a control moves (the panel's picture comes first, so a
// decoder slower than the slice leaves the grid until the hand rests), more once it rests.
const SLICE_MS = 3, IDLE_SLICE_MS = 12, RESTING_AFTER_MS = 120;

class LiveTraversal {
  constructor(parent, data) {
    this.data = data;
    const latest = DecoderRuntime.shared.latest?.[data.model];
    this.z = (latest && latest.length === data.z.length ? latest : data.z).slice();
    this.decoder = null;
    parent.querySelectorAll(".la-traversal").forEach((old) => old.remove());
    this.root = DecoderRuntime.element("div", "la-traversal");
    const canvas = DecoderRuntime.pictureCanvas("la-grid", data.caption);
    this.painter = new DecoderRuntime.GridPainter(canvas, data.image_shape, data.scale, data.gap,
                                                  data.values[0].length, data.values.length);
    this.root.appendChild(canvas);
    parent.appendChild(this.root);
    this.repaint();
    this.movedAt = 0;
    this.onLatent = (event) => {
      if (event.detail.model !== this.data.model) return;
      this.z = event.detail.z.slice();
      this.movedAt = performance.now();
      this.repaint();
    };
    window.addEventListener("latent-atlas-z", this.onLatent);
    DecoderRuntime.load(data.decoder_url).then((decoder) => { this.decoder = decoder; });
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  repaint() {
    const { values, dims } = this.data;
    this.painter.paint(values.flatMap((row, r) => row.map((value) => {
      const cell = this.z.slice();
      cell[dims[r]] = value;
      return cell;
    })));
  }

  tick() {
    if (!this.root.isConnected) {
      window.removeEventListener("latent-atlas-z", this.onLatent);
      return;
    }
    const resting = performance.now() - this.movedAt > RESTING_AFTER_MS;
    if (this.decoder) this.painter.work(this.decoder, resting ? IDLE_SLICE_MS : SLICE_MS, resting);
    requestAnimationFrame(this.tick);
  }
}

export default function (component) {
  const { data, parentElement } = component;
  const current = GRIDS.get(parentElement);
  if (current && current.data.identity === data.identity && current.root.isConnected) return;
  GRIDS.set(parentElement, new LiveTraversal(parentElement, data));
}
