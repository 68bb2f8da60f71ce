// The walkable Latent Map: every point drawn on a canvas, and the picture of whatever lies under the
// cursor decoded in the page. On a point: its latent (for a model with an encoder, the image's
// reconstruction). Between points: the inverse-distance-weighted mean of the latents of the k
// nearest points (gen_core.maps.projection.latent_at does the same on the server). Wheel zooms, a drag
// pans, a click pins the place and sends its latent back to Python.
const MAP_WALKS = new WeakMap();
const PICK_PX = 5, DRAG_PX = 4, POINT_PX = 3, ZOOM_STEP = 1.2;

// A class's colour, the legend's and the points' alike; unlabelled points (-1) take the last.
function classColour(colours, label) {
  return colours[((label % colours.length) + colours.length) % colours.length];
}

class MapWalk {
  constructor(parent, data, setStateValue) {
    this.data = data;
    this.setStateValue = setStateValue;
    this.decoder = null;
    parent.querySelectorAll(".la-walk").forEach((old) => old.remove());
    const { element } = DecoderRuntime;
    this.root = element("div", "la-walk");
    this.canvas = DecoderRuntime.pictureCanvas("la-walk-map", "Latent map: move the pointer to decode a place");
    Object.assign(this.canvas, { width: data.width, height: data.height });
    const side = element("div", "la-walk-side");
    this.picture = DecoderRuntime.pictureCanvas("la-image la-walk-picture", "decoded at the pointer");
    const [, H, W] = data.image_shape;
    this.scale = Math.max(1, Math.round(data.picture_px / Math.max(H, W)));
    Object.assign(this.picture, { width: W * this.scale, height: H * this.scale });
    this.caption = element("p", "la-caption", data.hint);
    // A point's original beside what the model draws there, when the page has the originals.
    this.original = DecoderRuntime.pictureCanvas("la-image la-walk-original", "the point's original image");
    Object.assign(this.original, { width: W * this.scale, height: H * this.scale, hidden: true });
    const pictures = element("div", "la-walk-pictures");
    pictures.append(this.original, this.picture);
    side.append(pictures, this.caption);
    this.root.append(this.canvas, side, this.legend(data));
    parent.appendChild(this.root);

    this.coords = Float32Array.from(data.coords);
    this.latents = Float32Array.from(data.latents);
    this.count = data.labels.length;
    this.dim = this.latents.length / Math.max(1, this.count);
    this.byLabel = new Map();
    data.labels.forEach((label, i) => {
      if (!this.byLabel.has(label)) this.byLabel.set(label, []);
      this.byLabel.get(label).push(i);
    });
    this.fit();
    this.listen();
    this.draw();
    DecoderRuntime.load(data.decoder_url).then((decoder) => { this.decoder = decoder; });
    if (data.sprite_url) {
      fetch(data.sprite_url).then((r) => (r.ok ? r.arrayBuffer() : null))
        .then((buffer) => { this.sprite = buffer ? new Uint8Array(buffer) : null; }).catch(() => {});
    }
  }

  // Each class's colour and name, as the selectable map's legend shows them.
  legend(data) {
    const { element } = DecoderRuntime;
    const legend = element("div", "la-walk-legend");
    const labels = [...new Set(data.labels)].sort((a, b) => a - b);
    for (const label of labels) {
      const item = element("span", "", data.class_names[label] ?? "sampled latents");
      const swatch = element("span", "la-walk-swatch");
      swatch.style.background = classColour(data.colours, label);
      item.prepend(swatch);
      legend.append(item);
    }
    return legend;
  }

  fit() {
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i < this.count; i++) {
      const x = this.coords[2 * i], y = this.coords[2 * i + 1];
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const spanX = Math.max(x1 - x0, 1e-6), spanY = Math.max(y1 - y0, 1e-6);
    this.zoom = 0.92 * Math.min(this.canvas.width / spanX, this.canvas.height / spanY);
    this.centre = [(x0 + x1) / 2, (y0 + y1) / 2];
  }

  toScreen(x, y) {
    return [this.canvas.width / 2 + (x - this.centre[0]) * this.zoom,
            this.canvas.height / 2 - (y - this.centre[1]) * this.zoom];
  }

  toData(px, py) {
    return [this.centre[0] + (px - this.canvas.width / 2) / this.zoom,
            this.centre[1] - (py - this.canvas.height / 2) / this.zoom];
  }

  pointer(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * this.canvas.width / box.width,
            (event.clientY - box.top) * this.canvas.height / box.height];
  }

  listen() {
    const canvas = this.canvas;
    canvas.addEventListener("wheel", (event) => {
      event.preventDefault();
      const [px, py] = this.pointer(event);
      const before = this.toData(px, py);
      this.zoom *= event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP;
      const after = this.toData(px, py);  // keep the place under the pointer where it is
      this.centre = [this.centre[0] + before[0] - after[0], this.centre[1] + before[1] - after[1]];
      this.draw();
    }, { passive: false });
    canvas.addEventListener("pointerdown", (event) => {
      this.press = { at: this.pointer(event), centre: [...this.centre], moved: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", (event) => {
      const [px, py] = this.pointer(event);
      if (this.press) {
        const dx = px - this.press.at[0], dy = py - this.press.at[1];
        this.press.moved ||= Math.hypot(dx, dy) > DRAG_PX;
        if (this.press.moved) {
          this.centre = [this.press.centre[0] - dx / this.zoom, this.press.centre[1] + dy / this.zoom];
          this.draw();
          return;
        }
      }
      this.hover(px, py);
    });
    canvas.addEventListener("pointerup", (event) => {
      const press = this.press;
      this.press = null;
      if (press && !press.moved) this.pin(...this.pointer(event));
    });
  }

  // The k nearest points to data place (x, y): indices and squared distances, nearest first.
  nearest(x, y, k) {
    const index = [], dist = [];
    for (let i = 0; i < this.count; i++) {
      const dx = this.coords[2 * i] - x, dy = this.coords[2 * i + 1] - y;
      const d = dx * dx + dy * dy;
      if (index.length === k && d >= dist[k - 1]) continue;
      let at = Math.min(index.length, k - 1);
      while (at > 0 && dist[at - 1] > d) at -= 1;
      index.splice(at, 0, i); dist.splice(at, 0, d);
      if (index.length > k) { index.pop(); dist.pop(); }
    }
    return { index, dist };
  }

  latentAt(x, y) {
    const { index, dist } = this.nearest(x, y, this.data.k);
    const z = new Float32Array(this.dim);
    const weights = dist.map((d) => 1 / Math.max(d, 1e-16));  // 1 / distance²
    const total = weights.reduce((a, b) => a + b, 0);
    index.forEach((i, n) => {
      for (let j = 0; j < this.dim; j++) z[j] += (weights[n] / total) * this.latents[i * this.dim + j];
    });
    return { z, index, dist };
  }

  describe(px, py) {
    const [x, y] = this.toData(px, py);
    const { z, index, dist } = this.latentAt(x, y);
    const onPoint = index.length && Math.sqrt(dist[0]) * this.zoom <= PICK_PX;
    if (onPoint) {
      const i = index[0], label = this.data.labels[i];
      const name = this.data.class_names[label] ?? "";
      const what = `#${i}${name ? ` · ${name}` : ""}: ${this.data.point_text}`;
      return { x, y, z: this.latents.slice(i * this.dim, (i + 1) * this.dim), text: what, point: i };
    }
    return { x, y, z, text: `(${x.toFixed(2)}, ${y.toFixed(2)}): ${this.data.between_text}`, point: null };
  }

  hover(px, py) {
    this.pending = [px, py];
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {  // at most one decode per frame, however fast the pointer moves
      this.queued = false;
      if (!this.decoder || this.pinned) return;
      this.show(this.describe(...this.pending));
    });
  }

  async show(place) {
    const pixels = await this.decoder.decode(place.z);
    DecoderRuntime.draw(this.picture.getContext("2d"), pixels, this.data.image_shape, 0, 0, this.scale);
    const size = this.data.image_shape.reduce((a, b) => a * b, 1);
    const original = place.point !== null && this.sprite && this.sprite.length >= (place.point + 1) * size;
    this.original.hidden = !original;
    if (original) {
      const pixels = Float32Array.from(this.sprite.subarray(place.point * size, (place.point + 1) * size),
                                       (v) => v / 255);
      DecoderRuntime.draw(this.original.getContext("2d"), pixels, this.data.image_shape, 0, 0, this.scale);
    }
    this.caption.textContent = original ? `${place.text} (the original on the left)` : place.text;
    this.picture.dataset.frames = String(Number(this.picture.dataset.frames || 0) + 1);
  }

  pin(px, py) {
    if (this.pinned) {  // a second click releases the pin and follows the pointer again
      this.pinned = null;
      this.draw();
      this.hover(px, py);
      return;
    }
    if (!this.decoder) return;
    this.pinned = this.describe(px, py);
    this.show(this.pinned).then(() => {
      this.caption.textContent += " · pinned; click again to follow the pointer";
    });
    this.draw();
    this.setStateValue("picked", { x: this.pinned.x, y: this.pinned.y, z: Array.from(this.pinned.z),
                                   point: this.pinned.point, identity: this.data.identity });
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    for (const [label, indices] of this.byLabel) {
      ctx.fillStyle = classColour(this.data.colours, label);
      for (const i of indices) {
        const [sx, sy] = this.toScreen(this.coords[2 * i], this.coords[2 * i + 1]);
        ctx.fillRect(sx - POINT_PX / 2, sy - POINT_PX / 2, POINT_PX, POINT_PX);
      }
    }
    for (const star of this.pinned ? [this.pinned] : []) {
      const [sx, sy] = this.toScreen(star.x, star.y);
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(sx, sy, 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
    this.canvas.dataset.drawn = String(Number(this.canvas.dataset.drawn || 0) + 1);
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const current = MAP_WALKS.get(parentElement);
  if (current && current.data.identity === data.identity && current.root.isConnected) {
    current.setStateValue = setStateValue;
    return;
  }
  MAP_WALKS.set(parentElement, new MapWalk(parentElement, data, setStateValue));
}
