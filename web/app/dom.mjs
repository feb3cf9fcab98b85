// Small DOM helpers for the pages. Every text goes in through textContent: nothing the
// reporter typed or the server sent is ever parsed as markup.
export const byId = (id) => document.getElementById(id);
const FORM_CONTROLS = new Set(["INPUT", "SELECT", "TEXTAREA"]);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) node.append(child);
  return node;
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

// The error summary at the top of a form (role=alert) and the message under each field,
// linked by aria-describedby (the templates set it up) and marked aria-invalid.
export function formErrors(summary = byId("form-errors"), list = byId("form-errors-list")) {
  const marked = [];
  return {
    clear() {
      list.replaceChildren();
      show(summary, false);
      for (const { controls, message } of marked.splice(0)) {
        for (const each of controls) each.removeAttribute("aria-invalid");
        if (message) {
          message.textContent = "";
          show(message, false);
        }
      }
    },
    // `field` is the id of the control (or of a radio group's fieldset "<name>-group").
    field(field, text) {
      const control = byId(field);
      const message = byId(`${field.replace(/-group$/, "")}-error`);
      // A control in error says so; for a group (radios, boxes), each of its inputs does.
      const controls = FORM_CONTROLS.has(control?.tagName) ? [control] : [...(control?.querySelectorAll("input") ?? [])];
      for (const each of controls) each.setAttribute("aria-invalid", "true");
      if (message) {
        message.textContent = text;
        show(message, true);
      }
      marked.push({ controls, message });
      const target = controls[0] ?? control;
      const link = el("a", { href: `#${target?.id || field}`, text });
      link.addEventListener("click", (event) => {
        event.preventDefault();
        target?.focus();
      });
      list.append(el("li", {}, link));
    },
    // A failure that belongs to no one field (the server refused, the network is down).
    general(text) {
      list.append(el("li", { text }));
    },
    get count() {
      return list.children.length;
    },
    announce() {
      show(summary, true);
      summary.focus();
    },
  };
}

// A progress region: a sentence (announced politely) and a bar. The live region itself is
// always in the page, so screen readers already watch it when the first sentence arrives.
export function progress(text = byId("progress-text"), bar = byId("progress-bar")) {
  return {
    set(sentence, fraction) {
      show(bar, true);
      if (text.textContent !== sentence) text.textContent = sentence;
      if (fraction === null || fraction === undefined) bar.removeAttribute("value");
      else bar.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    },
    done() {
      show(bar, false);
      text.textContent = "";
    },
  };
}
