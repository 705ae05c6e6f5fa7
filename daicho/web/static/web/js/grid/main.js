/* The list page's grid, as small modules sharing one state object (core.js): move with the
   keyboard, select ranges, edit in place, copy and paste ranges with Excel, fill down, insert
   rows, act on many rows, undo and redo, a context menu. No build step: native ES modules. */

import { createGrid } from "./core.js";
import { installEditing } from "./editing.js";
import { installFocus } from "./focus.js";
import { installSelection } from "./selection.js";
import { installClipboard } from "./clipboard.js";
import { installActions } from "./actions.js";
import { installRows } from "./rows.js";
import { installUndo } from "./undo.js";
import { installMenu } from "./menu.js";
import { installKeys } from "./keys.js";
import { installWidths } from "./widths.js";
import { installFrozen } from "./frozen.js";
import { installColumns } from "./columns.js";
import { installScroll } from "./scroll.js";
import { installGroups } from "./groups.js";
import { installLive } from "./live.js";

const grid = createGrid(document.getElementById("grid"));
if (grid) {
  [installEditing, installFocus, installSelection, installClipboard, installActions, installRows,
   installUndo, installMenu, installKeys, installWidths, installFrozen, installColumns,
   installScroll, installGroups, installLive].forEach(function (install) { install(grid); });
  grid.table.dataset.ready = "1";
}
