import { formatStep, type Grouping } from './group.js';
import { LEVEL_COLOURS } from './level-colours.js';
import { type PictureHeading, pictureTitle, writeSvg } from './render-svg.js';
import { isoMilli, isoSecond } from './time-format.js';
import { xmlText } from './xml-text.js';

/**
 * The same picture in one self-contained page: the SVG inline, a small script that zooms (wheel)
 * and pans (drag) and shows a group's details on click. A Content-Security-Policy forbids every
 * network request, so the page works offline and leaks nothing when opened.
 */
export function writeHtml(heading: PictureHeading, grouping: Grouping, emit: (chunk: string) => void): void {
  emit(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${xmlText(pictureTitle(heading))}</title>
<style>
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, sans-serif; color: #212121; }
body { display: flex; flex-direction: column; }
#viewport { flex: 1; overflow: hidden; cursor: grab; background: #fafafa; border-bottom: 1px solid #e0e0e0; }
#viewport.dragging { cursor: grabbing; }
#viewport svg { display: block; width: 100%; height: 100%; }
#viewport .group { cursor: pointer; }
#viewport .group.selected circle { stroke: #000; stroke-width: 3; }
#details { height: 34%; overflow: auto; padding: 8px 16px; }
#details h2 { font-size: 14px; margin: 4px 0 8px; }
#details table { border-collapse: collapse; width: 100%; }
#details td { border-top: 1px solid #eee; padding: 3px 6px; vertical-align: top; }
#details td.message { white-space: pre-wrap; word-break: break-word; font-family: monospace; }
#details .level { font-weight: bold; }
#hint { color: #757575; }
</style>
</head>
<body>
<div id="viewport">
`);
  writeSvg(heading, grouping, emit, { declaration: false });
  emit(`</div>
<section id="details"><p id="hint">Scroll to zoom, drag to pan, click a group for its details.</p></section>
<script type="application/json" id="timeline-groups">[`);
  grouping.groups.forEach((g, i) => {
    emit(`${i ? ',' : ''}${jsonForScript(groupDetails(g, i + 1, grouping.stepMs))}`);
  });
  emit(`]</script>
<script type="application/json" id="timeline-colours">${jsonForScript(LEVEL_COLOURS)}</script>
<script>
${PAGE_SCRIPT}
</script>
</body>
</html>
`);
}

/** What a click on a group shows. */
function groupDetails(g: Grouping['groups'][number], number: number, stepMs: number) {
  return {
    number,
    start: `${isoSecond(g.startMs)} UTC +${formatStep(stepMs)}`,
    level: g.level,
    delta: g.delta,
    entries: g.entries.map((e) => ({
      level: e.level,
      reason: e.reason,
      object: `${e.kind}/${e.name}`,
      delta: e.delta,
      lines: e.lines,
      when: e.firstMs === e.lastMs ? isoMilli(e.firstMs) : `${isoMilli(e.firstMs)} – ${isoMilli(e.lastMs).slice(11)}`,
      message: e.message,
    })),
  };
}

/** JSON inside a <script> element: no "<" may close it early, whatever the messages say. */
const jsonForScript = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

// Plain browser JavaScript; every text from the data goes in through textContent, never as markup.
const PAGE_SCRIPT = `(function () {
  'use strict';
  var groups = JSON.parse(document.getElementById('timeline-groups').textContent);
  var colours = JSON.parse(document.getElementById('timeline-colours').textContent);
  var viewport = document.getElementById('viewport');
  var svg = viewport.querySelector('svg');
  var details = document.getElementById('details');
  var full = svg.viewBox.baseVal;
  // First the timeline itself, as wide as the window; the footnotes below are a pan away.
  var view = { x: full.x, y: full.y, w: full.width, h: Number(svg.getAttribute('data-timeline-height')) || full.height };
  svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  function apply() { svg.setAttribute('viewBox', view.x + ' ' + view.y + ' ' + view.w + ' ' + view.h); }
  function toSvg(clientX, clientY) {
    var r = svg.getBoundingClientRect();
    var scale = Math.max(view.w / r.width, view.h / r.height);
    return { x: view.x + (clientX - r.left) * scale, y: view.y + (clientY - r.top) * scale, scale: scale };
  }
  apply();
  viewport.addEventListener('wheel', function (e) {
    e.preventDefault();
    var p = toSvg(e.clientX, e.clientY);
    var f = Math.exp(e.deltaY * 0.0015);
    var w = Math.min(full.width * 4, Math.max(full.width / 200, view.w * f));
    f = w / view.w;
    view.x = p.x - (p.x - view.x) * f;
    view.y = p.y - (p.y - view.y) * f;
    view.w *= f;
    view.h *= f;
    apply();
  }, { passive: false });
  var drag = null;
  var moved = false;
  viewport.addEventListener('mousedown', function (e) {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y, scale: toSvg(e.clientX, e.clientY).scale };
    moved = false;
  });
  window.addEventListener('mousemove', function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { moved = true; viewport.classList.add('dragging'); }
    if (!moved) return;
    view.x = drag.vx - dx * drag.scale;
    view.y = drag.vy - dy * drag.scale;
    apply();
  });
  window.addEventListener('mouseup', function () { drag = null; viewport.classList.remove('dragging'); });
  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text !== undefined) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  }
  function show(number) {
    var g = groups[number - 1];
    if (!g) return;
    var old = svg.querySelector('.group.selected');
    if (old) old.classList.remove('selected');
    var node = svg.querySelector('.group[data-group="' + number + '"]');
    if (node) node.classList.add('selected');
    details.replaceChildren();
    details.dataset.group = String(number);
    details.appendChild(el('h2', '[' + g.number + '] ' + g.start + ': ' + g.delta + ' occurrences, highest level ' + g.level));
    var table = el('table');
    g.entries.forEach(function (e) {
      var tr = el('tr', undefined, 'entry');
      tr.dataset.delta = String(e.delta);
      var level = el('td', e.level, 'level');
      level.style.color = colours[e.level];
      tr.append(el('td', '×' + e.delta), level, el('td', e.reason, 'reason'), el('td', e.object), el('td', e.when), el('td', e.message, 'message'));
      table.appendChild(tr);
    });
    details.appendChild(table);
  }
  svg.addEventListener('click', function (e) {
    if (moved) return;
    var target = e.target.closest('[data-group]');
    if (target) show(Number(target.getAttribute('data-group')));
  });
})();`;
