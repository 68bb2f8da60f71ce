// A drawing pad: white ink on black, as MNIST's digits are, drawn with a mouse, pen or finger.
// Each finished stroke sends the whole drawing to Python as a PNG data URL; Clear empties it.
const PADS = new WeakMap();

class DrawingPad {
  constructor(parent, data, setStateValue) {
    this.setStateValue = setStateValue;
    parent.querySelectorAll(".la-pad").forEach((old) => old.remove());
    this.root = document.createElement("div");
    this.root.className = "la-pad";
    this.canvas = document.createElement("canvas");
    this.canvas.width = this.canvas.height = data.size;
    this.canvas.className = "la-pad-canvas";
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Drawing pad: draw a digit with the mouse or a finger");
    const clear = document.createElement("button");
    clear.type = "button";
    clear.className = "la-pad-clear";
    clear.textContent = "Clear";
    this.root.append(this.canvas, clear);
    parent.appendChild(this.root);
    this.ctx = this.canvas.getContext("2d");
    Object.assign(this.ctx, { lineWidth: data.pen, lineCap: "round", lineJoin: "round", strokeStyle: "#fff" });
    this.blank();
    this.canvas.addEventListener("pointerdown", (e) => this.start(e));
    this.canvas.addEventListener("pointermove", (e) => this.move(e));
    this.canvas.addEventListener("pointerup", () => this.end());
    this.canvas.addEventListener("pointerleave", () => this.end());
    clear.addEventListener("click", () => {
      this.blank();
      this.setStateValue("png", null);
    });
  }

  blank() {
    this.ctx.fillStyle = "#000";
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * this.canvas.width / box.width,
            (event.clientY - box.top) * this.canvas.height / box.height];
  }

  start(event) {
    this.drawing = true;
    this.canvas.setPointerCapture(event.pointerId);
    const [x, y] = this.point(event);
    this.ctx.beginPath();
    this.ctx.moveTo(x, y);
    this.ctx.lineTo(x, y);
    this.ctx.stroke();
  }

  move(event) {
    if (!this.drawing) return;
    const [x, y] = this.point(event);
    this.ctx.lineTo(x, y);
    this.ctx.stroke();
  }

  end() {
    if (!this.drawing) return;
    this.drawing = false;
    this.setStateValue("png", this.canvas.toDataURL("image/png"));
  }
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const current = PADS.get(parentElement);
  if (current && current.root.isConnected) {
    current.setStateValue = setStateValue;
    return;
  }
  PADS.set(parentElement, new DrawingPad(parentElement, data, setStateValue));
}
