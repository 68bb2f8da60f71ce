// The live latent panel: one control per latent dimension and the decoded picture, redrawn in
// the page on every input event (at most once per animation frame) by the decoder runtime above.
// Values go back to Python when a drag ends ("change"), tagged with the view's version so a
// stale value never overrides a new seed or link.
const PANELS = new WeakMap();
const element = DecoderRuntime.element;

function formatValue(v) {
  return v.toFixed(2);
}

class LivePanel {
  constructor(parent, data, setStateValue) {
    this.data = data;
    this.z = data.z.slice();
    this.setStateValue = setStateValue;
    this.dirty = true;
    this.decoder = null;
    parent.querySelectorAll(".la-panel").forEach((old) => old.remove());
    this.root = element("div", "la-panel");
    this.root.append(this.buildControls(), this.buildPicture());
    parent.appendChild(this.root);
    DecoderRuntime.shared.latest ??= {};
    DecoderRuntime.shared.latest[data.model] = this.z;
    DecoderRuntime.load(data.decoder_url).then((decoder) => {
      this.decoder = decoder;
      this.dirty = true;
    }, (error) => {
      this.status.textContent = `The picture cannot be drawn in this page: ${error.message}`;
    });
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  buildControls() {
    const box = element("div", "la-controls");
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "Latent dimensions");
    for (const i of this.data.active) box.appendChild(this.control(i));
    if (this.data.inactive.length) {
      const details = element("details", "la-inactive");
      details.appendChild(element("summary", "", this.data.inactive_title));
      details.appendChild(element("p", "la-note", this.data.inactive_note));
      for (const i of this.data.inactive) details.appendChild(this.control(i));
      box.appendChild(details);
    }
    return box;
  }

  control(i) {
    const dim = this.data.spec[i];
    const row = element("label", "la-row");
    row.appendChild(element("span", "la-name", dim.label));
    if (dim.kind === "categorical") {
      const select = element("select", "la-select");
      dim.classes.forEach((name, index) => {
        const option = element("option", "", name);
        option.value = String(index);
        select.appendChild(option);
      });
      select.value = String(Math.round(this.z[i]));
      select.setAttribute("aria-label", dim.label);
      select.dataset.dim = String(i);
      select.addEventListener("change", () => {
        this.set(i, Number(select.value));
        this.commit();
      });
      row.appendChild(select);
      return row;
    }
    const slider = element("input", "la-slider");
    Object.assign(slider, { type: "range", min: dim.low, max: dim.high, step: this.data.step });
    slider.value = String(this.z[i]);
    slider.setAttribute("aria-label", dim.label);
    slider.dataset.dim = String(i);
    const output = element("output", "la-value", formatValue(this.z[i]));
    slider.addEventListener("input", () => {
      this.set(i, Number(slider.value));
      output.textContent = formatValue(this.z[i]);
    });
    slider.addEventListener("change", () => this.commit());
    row.append(slider, output);
    return row;
  }

  buildPicture() {
    const box = element("div", "la-picture");
    const [, H, W] = this.data.image_shape;
    this.scale = Math.max(1, Math.round(this.data.picture_px / Math.max(H, W)));
    this.canvas = DecoderRuntime.pictureCanvas("la-image", `Decoded image of ${this.data.model}`);
    this.canvas.width = W * this.scale;
    this.canvas.height = H * this.scale;
    this.status = element("div", "la-caption", this.data.caption);
    box.append(this.canvas, this.status);
    return box;
  }

  set(i, value) {
    this.z[i] = value;
    this.dirty = true;
    window.dispatchEvent(new CustomEvent("latent-atlas-z", { detail: { model: this.data.model, z: this.z } }));
  }

  commit() {
    this.setStateValue("z", { version: this.data.version, z: this.z.slice() });
  }

  tick() {
    if (!this.root.isConnected) return; // unmounted: stop drawing
    if (this.dirty && this.decoder && !this.decoding) {
      this.dirty = false;
      this.decoding = true; // one decode in flight: a move meanwhile is drawn by the next one
      Promise.resolve(this.decoder.decode(this.z.slice())).then((pixels) => {
        DecoderRuntime.draw(this.canvas.getContext("2d"), pixels, this.decoder.imageShape, 0, 0, this.scale);
        DecoderRuntime.shared.frames += 1;
        this.canvas.dataset.frames = String(DecoderRuntime.shared.frames);
      }, (error) => {
        this.status.textContent = `The picture cannot be drawn in this page: ${error.message}`;
      }).finally(() => { this.decoding = false; });
    }
    requestAnimationFrame(this.tick);
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const current = PANELS.get(parentElement);
  if (current && current.data.identity === data.identity && current.root.isConnected) {
    current.setStateValue = setStateValue; // same view: keep the controls as the hand left them
    return;
  }
  PANELS.set(parentElement, new LivePanel(parentElement, data, setStateValue));
}
