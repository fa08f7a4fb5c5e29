"use strict";
(function () {
  var source = document.getElementById("table-data");
  if (!source) { return; }
  var data = JSON.parse(source.textContent);
  var table = document.getElementById("table");
  var search = document.getElementById("search");
  var tierSelect = document.getElementById("tier");
  var segmentSelect = document.getElementById("segment");
  var shown = document.getElementById("shown");
  var columns = [{ title: "Partner", get: function (r) { return r.id; }, num: false }];
  data.segments.forEach(function (name, k) {
    columns.push({ title: name, get: function (r) { return r.seg[k]; }, num: false });
  });
  data.scores.forEach(function (score, k) {
    columns.push({ title: score.name, get: function (r) { return r.s[k]; }, num: true });
    if (score.tiered) {
      columns.push({ title: score.name + " tier", get: function (r) { return r.t[k]; }, num: false });
    }
    columns.push({ title: score.name + " change", get: function (r) { return r.d[k]; }, num: true, signed: true });
  });
  columns.push({ title: "Actions", get: function (r) { return r.a; }, num: false });
  columns.push({ title: "Flags", get: function (r) { return r.f; }, num: false });

  function option(select, value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    select.appendChild(o);
  }
  data.scores.forEach(function (score, k) {
    if (!score.tiered) { return; }
    score.labels.forEach(function (label) { option(tierSelect, k + "\u0000" + label, score.name + ": " + label); });
  });
  data.segments.forEach(function (name, k) {
    data.segment_labels[k].forEach(function (label) { option(segmentSelect, k + "\u0000" + label, name + ": " + label); });
  });

  var sortColumn = -1;
  var sortDirection = 1;
  var head = table.tHead.insertRow();
  columns.forEach(function (c, k) {
    var th = document.createElement("th");
    th.textContent = c.title;
    th.scope = "col";
    if (c.num) { th.className = "n"; }
    th.addEventListener("click", function () {
      sortDirection = sortColumn === k ? -sortDirection : 1;
      sortColumn = k;
      Array.prototype.forEach.call(head.cells, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sortDirection > 0 ? "ascending" : "descending");
      render();
    });
    head.appendChild(th);
  });

  function format(value, signed) {
    if (value === null || value === undefined) { return signed ? "\u2013" : ""; }
    if (typeof value === "number") {
      var text = String(Math.round(value * 100) / 100);
      return signed && value > 0 ? "+" + text : text;
    }
    return String(value);
  }
  function compare(a, b) {
    if (a === b) { return 0; }
    if (a === null || a === undefined) { return 1; }
    if (b === null || b === undefined) { return -1; }
    if (typeof a === "number" && typeof b === "number") { return (a - b) * sortDirection; }
    return String(a).localeCompare(String(b)) * sortDirection;
  }
  function matches(r) {
    var q = search.value.trim().toLowerCase();
    if (q && (r.id + " " + r.a + " " + r.f + " " + r.g + " " + r.seg.join(" ")).toLowerCase().indexOf(q) < 0) { return false; }
    if (tierSelect.value) {
      var t = tierSelect.value.split("\u0000");
      if (r.t[Number(t[0])] !== t[1]) { return false; }
    }
    if (segmentSelect.value) {
      var s = segmentSelect.value.split("\u0000");
      if (r.seg[Number(s[0])] !== s[1]) { return false; }
    }
    return true;
  }
  function render() {
    var rows = data.rows.filter(matches);
    if (sortColumn >= 0) {
      var get = columns[sortColumn].get;
      rows.sort(function (a, b) { return compare(get(a), get(b)); });
    }
    var body = document.createElement("tbody");
    rows.forEach(function (r) {
      var tr = body.insertRow();
      tr.className = "row";
      columns.forEach(function (c, k) {
        var td = tr.insertCell();
        if (c.num) { td.className = "n"; }
        if (k === 0) {
          if (r.link) {
            var a = document.createElement("a");
            a.href = "#" + r.link;
            a.textContent = r.id;
            td.appendChild(a);
          } else {
            td.textContent = r.id;
          }
          if (r.g) {
            var mark = document.createElement("span");
            mark.className = "touched";
            mark.textContent = r.g;
            td.appendChild(document.createTextNode(" "));
            td.appendChild(mark);
          }
        } else {
          td.textContent = format(c.get(r), c.signed);
        }
      });
    });
    table.replaceChild(body, table.tBodies[0]);
    shown.textContent = rows.length + " of " + data.rows.length + " partners shown";
  }
  search.addEventListener("input", render);
  tierSelect.addEventListener("change", render);
  segmentSelect.addEventListener("change", render);
  render();
}());
