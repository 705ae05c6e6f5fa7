/* daicho: the condition builder of the permissions screen (docs/permissions.md, "Screens").
   Every text input marked [data-condition] holds a record condition in the stored syntax
   CODE:OP:VALUE (as the API's filter=). The builder above it picks the field, an operator the
   field's type allows and a value (the field's choices, departments and users by name, or a
   typed value) and writes that syntax into the input; typing in the input, kept under
   "write the condition directly", updates the builder. Without script the input alone works. */
(function () {
  "use strict";

  var fields = [];
  var texts = {};
  var counter = 0;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: value, text: label });
    if (selected) node.selected = true;
    return node;
  }

  function fieldOf(code) {
    for (var i = 0; i < fields.length; i++) if (fields[i].code === code) return fields[i];
    return null;
  }

  function needsValue(op) { return op !== "empty" && op !== "notempty"; }

  /* "kind:eq:土地" → {code, op, value}, or null when it is not a condition the builder knows. */
  function parse(text) {
    if (!text) return { code: "", op: "", value: "" };
    var first = text.indexOf(":");
    if (first < 0) return null;
    var second = text.indexOf(":", first + 1);
    var code = text.slice(0, first);
    var op = second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
    var value = second < 0 ? "" : text.slice(second + 1);
    var f = fieldOf(code);
    if (!f || !f.ops.some(function (o) { return o[0] === op; })) return null;
    if (second < 0 && needsValue(op)) return null;
    return { code: code, op: op, value: value };
  }

  function Builder(input) {
    var id = "cb" + (++counter);
    var box = input.closest(".field") || input.parentNode;
    this.input = input;
    this.fieldSelect = el("select", { id: id + "-field" });
    this.opSelect = el("select", { id: id + "-op" });
    this.valueSlot = el("div", { "class": "cb-value-slot" });
    this.valueLabel = el("label", { "for": id + "-value", text: texts.value });
    this.valueId = id + "-value";
    this.note = el("p", { "class": "hint cb-note", id: id + "-note", "aria-live": "polite" });
    this.note.hidden = true;
    var group = el("fieldset", { "class": "condition-builder", id: id }, [
      el("legend", { text: texts.builder }),
      el("div", { "class": "cb-row" }, [
        el("div", { "class": "field" }, [el("label", { "for": id + "-field", text: texts.field }), this.fieldSelect]),
        el("div", { "class": "field" }, [el("label", { "for": id + "-op", text: texts.op }), this.opSelect]),
        el("div", { "class": "field cb-value" }, [this.valueLabel, this.valueSlot])
      ]),
      this.note
    ]);
    var raw = el("details", { "class": "raw-condition" }, [el("summary", { text: texts.raw })]);
    while (box.firstChild) raw.appendChild(box.firstChild);
    box.classList.add("has-builder");
    box.appendChild(group);
    box.appendChild(raw);
    this.raw = raw;

    var self = this;
    this.fieldSelect.addEventListener("change", function () { self.fieldChanged(); });
    this.opSelect.addEventListener("change", function () { self.opChanged(); });
    input.addEventListener("input", function () { self.load(); });
    this.load();
  }

  Builder.prototype.load = function () {
    var parsed = parse(this.input.value.trim());
    this.note.hidden = parsed !== null;
    if (parsed === null) {
      this.note.textContent = texts.unknown;
      this.raw.open = true;
      parsed = { code: "", op: "", value: "" };
    }
    this.fillFields(parsed.code);
    this.fillOps(parsed.op);
    this.fillValue(parsed.value);
  };

  Builder.prototype.fillFields = function (code) {
    var select = this.fieldSelect;
    select.textContent = "";
    select.appendChild(option("", texts.choose, !code));
    fields.forEach(function (f) { select.appendChild(option(f.code, f.name, f.code === code)); });
  };

  Builder.prototype.fillOps = function (op) {
    var f = fieldOf(this.fieldSelect.value);
    var select = this.opSelect;
    select.textContent = "";
    select.disabled = !f;
    if (!f) return;
    var keep = f.ops.some(function (o) { return o[0] === op; }) ? op : f.ops[0][0];
    f.ops.forEach(function (o) { select.appendChild(option(o[0], o[1], o[0] === keep)); });
  };

  Builder.prototype.fillValue = function (value) {
    var f = fieldOf(this.fieldSelect.value);
    var op = this.opSelect.value;
    var slot = this.valueSlot;
    var self = this;
    slot.textContent = "";
    this.value = null;
    if (!f || !needsValue(op)) {
      this.valueLabel.hidden = true;
      if (f) slot.appendChild(el("span", { "class": "muted", text: texts.none }));
      return;
    }
    this.valueLabel.hidden = false;
    var control;
    if (f.values && op !== "contains" && op !== "startswith") {
      var several = op === "in";
      var picked = several ? value.split(",") : [value];
      control = el("select", { id: this.valueId });
      if (several) {
        control.multiple = true;
        control.size = Math.min(5, Math.max(2, f.values.length));
        control.setAttribute("aria-describedby", this.valueId + "-hint");
      } else {
        control.appendChild(option("", texts.choose, !value));
      }
      var known = false;
      f.values.forEach(function (v) {
        var on = picked.indexOf(v[0]) >= 0 && v[0] !== "";
        known = known || on;
        control.appendChild(option(v[0], v[1], on));
      });
      if (value && !known && !several) control.appendChild(option(value, value, true));
      slot.appendChild(control);
      if (several) slot.appendChild(el("p", { "class": "hint", id: this.valueId + "-hint", text: texts.several }));
      control.addEventListener("change", function () { self.write(); });
    } else {
      control = el("input", { id: this.valueId, type: op === "in" ? "text" : f.input, value: value,
                              autocomplete: "off" });
      if (f.input === "number") control.setAttribute("step", "any");
      control.addEventListener("input", function () { self.write(); });
      slot.appendChild(control);
    }
    this.value = control;
  };

  Builder.prototype.valueText = function () {
    var control = this.value;
    if (!control) return "";
    if (control.multiple) {
      return Array.prototype.filter.call(control.options, function (o) { return o.selected; })
        .map(function (o) { return o.value; }).join(",");
    }
    return control.value;
  };

  Builder.prototype.fieldChanged = function () {
    this.fillOps(this.opSelect.value);
    this.fillValue("");
    this.write();
  };

  Builder.prototype.opChanged = function () {
    var keep = this.valueText();
    this.fillValue(this.opSelect.value === "in" || (this.value && this.value.multiple) ? "" : keep);
    this.write();
  };

  Builder.prototype.write = function () {
    var code = this.fieldSelect.value;
    var op = this.opSelect.value;
    this.input.value = !code ? "" : needsValue(op) ? code + ":" + op + ":" + this.valueText()
      : code + ":" + op;
    this.note.hidden = true;
  };

  document.addEventListener("DOMContentLoaded", function () {
    var data = document.getElementById("condition-fields");
    var textBox = document.getElementById("condition-texts");
    if (!data || !textBox) return;
    fields = JSON.parse(data.textContent || "[]");
    texts = textBox.dataset;
    document.querySelectorAll("input[data-condition]").forEach(function (input) {
      new Builder(input);
    });
  });
})();
