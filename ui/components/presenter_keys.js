// Presenter mode's keys: the right and left arrows (and page down / up, which presentation
// remotes send) step to the next and previous bookmark, unless a control has the focus, whose
// own arrows move it.
const PRESENTER_KEYS = { send: null, listening: false };
const NEXT = new Set(["ArrowRight", "PageDown"]), PREVIOUS = new Set(["ArrowLeft", "PageUp"]);

export default function (component) {
  PRESENTER_KEYS.send = component.setTriggerValue;
  if (!PRESENTER_KEYS.listening) {
    PRESENTER_KEYS.listening = true;
    window.addEventListener("keydown", (event) => {
      const inControl = event.target?.closest?.("input, textarea, select, [contenteditable='true'], [role='slider']");
      const send = PRESENTER_KEYS.send;
      if (inControl || !send || event.repeat) return;
      if (NEXT.has(event.key)) send("step", 1);
      else if (PREVIOUS.has(event.key)) send("step", -1);
    });
  }
  return () => { PRESENTER_KEYS.send = null; };  // a page without presenter mode ignores the keys
}
