// Grid layout: a dashboard is a list of rows; a row is a list of panels sharing one height.
// Widths are given per panel as `w` (default: the 24 columns split evenly). Ids are assigned
// in reading order, so they are unique and stable.
{
  // rows: [{ h: height, panels: [panel, ...] }], a panel may carry a hidden `w::` width.
  grid(rows)::
    local widths(row) =
      local n = std.length(row.panels);
      [if std.objectHasAll(p, 'w') then p.w else std.floor(24 / n) for p in row.panels];
    local ys = std.foldl(function(acc, row) acc + [acc[std.length(acc) - 1] + row.h], rows, [0]);
    local placed = std.flattenArrays([
      local row = rows[r];
      local ws = widths(row);
      local xs = std.foldl(function(acc, w) acc + [acc[std.length(acc) - 1] + w], ws, [0]);
      [
        row.panels[i] { gridPos: { h: row.h, w: ws[i], x: xs[i], y: ys[r] } }
        for i in std.range(0, std.length(row.panels) - 1)
      ]
      for r in std.range(0, std.length(rows) - 1)
    ]);
    [placed[i] { id: i + 1 } for i in std.range(0, std.length(placed) - 1)],

  row(h, panels):: { h: h, panels: panels },
  width(panel, w):: panel { w:: w },
}
