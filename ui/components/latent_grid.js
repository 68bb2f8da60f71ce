// A grid of latents decoded in the page, with one range control choosing among precomputed
// grids (Interpolate's step count, the blend's size): moving it redraws at once, and the value
// goes back to Python when the control is released.
const LATENT_GRIDS = new WeakMap();
const GRID_SLICE_MS = 12;

class LiveLatentGrid {
  constructor(parent, data, setStateValue) {
    this.data = data;
    this.setStateValue = setStateValue;
    this.decoder = null;
    parent.querySelectorAll(".la-latent-grid").forEach((old) => old.remove());
    const { element } = DecoderRuntime;
    this.root = element("div", "la-latent-grid");
    const row = element("label", "la-row la-grid-control");
    this.slider = element("input", "la-slider");
    Object.assign(this.slider, { type: "range", min: data.control.min, max: data.control.max, step: 1 });
    this.slider.value = String(data.control.value);
    this.slider.setAttribute("aria-label", data.control.label);
    this.output = element("output", "la-value");
    row.append(element("span", "la-name", data.control.label), this.slider, this.output);
    this.canvas = DecoderRuntime.pictureCanvas("la-grid", data.caption);
    this.root.append(row, this.canvas);
    parent.appendChild(this.root);
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.slider.addEventListener("change", () => this.setStateValue("value", Number(this.slider.value)));
    this.show(data.control.value);
    DecoderRuntime.load(data.decoder_url).then((decoder) => { this.decoder = decoder; });
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  show(value) {
    const grid = this.data.grids[String(value)];
    this.output.textContent = String(value);
    const rows = Math.ceil(grid.latents.length / grid.columns);
    this.painter = new DecoderRuntime.GridPainter(this.canvas, this.data.image_shape, grid.scale,
                                                  this.data.gap, grid.columns, rows);
    this.painter.paint(grid.latents);
  }

  tick() {
    if (!this.root.isConnected) return;
    if (this.decoder) this.painter.work(this.decoder, GRID_SLICE_MS);
    requestAnimationFrame(this.tick);
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const current = LATENT_GRIDS.get(parentElement);
  if (current && current.data.identity === data.identity && current.root.isConnected) {
    current.setStateValue = setStateValue;
    return;
  }
  LATENT_GRIDS.set(parentElement, new LiveLatentGrid(parentElement, data, setStateValue));
}
