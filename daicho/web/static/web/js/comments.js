/* The comment boxes of the record page: typing @ (or ＠) opens the type-ahead of the people who
   can see the record (../picker.js, asked at data-mentions); ↓/↑ and Enter or a click put
   "@login " in place of what was typed after the @. The list follows the caret: it closes when
   the caret leaves the name being typed. Without script the box is a plain textarea. */

import { attachPicker } from "./picker.js";

const MARK = /[@＠]/;
const WORD = /[A-Za-z0-9]/;

// Where the name being typed starts (the index of its @), or -1.
function mentionStart(box) {
  const caret = box.selectionStart;
  if (caret !== box.selectionEnd) return -1;
  const before = box.value.slice(0, caret);
  for (let i = before.length - 1; i >= 0 && before.length - i <= 31; i--) {
    const ch = before[i];
    if (MARK.test(ch)) return i === 0 || !WORD.test(before[i - 1]) ? i : -1;
    if (/\s/.test(ch)) return -1;
  }
  return -1;
}

function attach(box) {
  const picker = attachPicker(box, {
    url: box.dataset.mentions,
    noneText: box.dataset.noneText,
    listLabel: box.dataset.listLabel,
    query: function () {
      const start = mentionStart(box);
      return start < 0 ? null : box.value.slice(start + 1, box.selectionStart);
    },
    apply: function (item) {
      const start = mentionStart(box);
      if (start < 0) return;
      const end = box.selectionStart;
      const insert = "@" + item.value + " ";
      box.value = box.value.slice(0, start) + insert + box.value.slice(end);
      const caret = start + insert.length;
      box.setSelectionRange(caret, caret);
      box.focus();
    }
  });
  // The caret moved without typing (a click, ← →): follow it.
  function follow(event) {
    if (event && ["ArrowDown", "ArrowUp", "Enter", "Escape", "Tab"].indexOf(event.key) >= 0) return;
    if (mentionStart(box) < 0) picker.close();
  }
  box.addEventListener("keyup", follow);
  box.addEventListener("click", function () { follow(null); });
}

function start() {
  document.querySelectorAll(".comments textarea[data-mentions]").forEach(attach);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
