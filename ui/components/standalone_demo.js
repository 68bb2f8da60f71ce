// A model's demo in one HTML file, with no server: sliders over every latent dimension, a
// traversal of one dimension, interpolation between two saved views, the saved views themselves
// and a small map whose points open their latent. Everything decodes in this page with
// DecoderRuntime (decoder_runtime.js, inlined before this script). The data (decoder, latent spec,
// views, map) is the JSON in the element with id "demo-data"; every text from it is set as textContent.
(() => {
  const data = JSON.parse(document.getElementById("demo-data").textContent);
  const { element, pictureCanvas, draw } = DecoderRuntime;
  const bytes = Uint8Array.from(atob(data.decoder), (c) => c.charCodeAt(0));
  const decoder = DecoderRuntime.parse(bytes.buffer);
  const [, H, W] = data.image_shape;
  const scale = (px) => Math.max(1, Math.floor(px / Math.max(H, W)));
  const STEPS = 9;
  const views = data.views.map((v) => ({ name: v.name, z: v.z.slice() }));
  let z = (fromHash() || views[0].z).slice();

  function fromHash() {
    const match = /z=([^&]+)/.exec(location.hash);
    if (!match) return null;
    const values = decodeURIComponent(match[1]).split(",").map(Number);
    return values.length === data.latent_spec.length && values.every(Number.isFinite) ? values : null;
  }

  function paint(canvas, latent, px) {
    const s = scale(px);
    if (canvas.width !== W * s) Object.assign(canvas, { width: W * s, height: H * s });
    draw(canvas.getContext("2d"), decoder.decode(latent), data.image_shape, 0, 0, s);
  }

  // Range of a dimension's control: a categorical code's values, else its slider span.
  const span = (d) => (d.kind === "categorical" ? [0, d.classes.length - 1] : [d.low, d.high]);

  const root = document.getElementById("demo");
  root.append(element("h1", "", data.title));
  root.append(element("p", "note", data.subtitle));
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
  dimChoice.addEventListener("change", () => paintTraversal());

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

  function paintTraversal() {
    const i = Number(dimChoice.value), [low, high] = span(data.latent_spec[i]);
    strip.forEach((canvas, k) => {
      const step = z.slice();
      step[i] = data.latent_spec[i].kind === "categorical"
        ? Math.round(low + ((high - low) * k) / (STEPS - 1)) : low + ((high - low) * k) / (STEPS - 1);
      paint(canvas, step, 72);
    });
  }

  function lerp(a, b, s) {
    return a.map((v, i) => (data.latent_spec[i].kind === "categorical" ? (s < 0.5 ? v : b[i]) : v + (b[i] - v) * s));
  }

  function paintPath() {
    if (!views[from.value] || !views[to.value]) return;
    const a = views[from.value].z, b = views[to.value].z;
    paint(blend, lerp(a, b, Number(t.value)), 96);
    path.forEach((canvas, k) => paint(canvas, lerp(a, b, k / (STEPS - 1)), 72));
  }

  let pending = false;
  function changed() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      inputs.forEach((input, i) => { if (Number(input.value) !== z[i]) input.value = z[i]; });
      paint(picture, z, 280);
      paintTraversal();
      history.replaceState(null, "", `#z=${z.map((v) => Number(v.toFixed(4))).join(",")}`);
      picture.dataset.frames = String(Number(picture.dataset.frames || 0) + 1);
    });
  }

  listViews();
  changed();
  // For tests and benchmarks: the page's own decode, as its controls use it.
  window.latentAtlasDemo = { decode: (latent) => decoder.decode(latent), latentDim: data.latent_spec.length };
})();
