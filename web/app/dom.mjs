// Small DOM helpers for the pages. Every text goes in through textContent: nothing the
// reporter typed or the server sent is ever parsed as markup.
export const byId = (id) => document.getElementById(id);

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
      for (const { control, message } of marked.splice(0)) {
        control?.removeAttribute("aria-invalid");
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
      if (control && control.tagName !== "FIELDSET") control.setAttribute("aria-invalid", "true");
      if (message) {
        message.textContent = text;
        show(message, true);
      }
      marked.push({ control, message });
      const target = control?.tagName === "FIELDSET" ? control.querySelector("input") : control;
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

// A progress region: a sentence (announced politely) and a bar.
export function progress(region = byId("progress"), text = byId("progress-text"), bar = byId("progress-bar")) {
  return {
    set(sentence, fraction) {
      show(region, true);
      if (text.textContent !== sentence) text.textContent = sentence;
      if (fraction === null || fraction === undefined) bar.removeAttribute("value");
      else bar.value = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
    },
    done() {
      show(region, false);
      text.textContent = "";
    },
  };
}
