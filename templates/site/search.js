/* Client-side search over search-index.json: titles, Chinese titles, authors and TL;DRs of
   every day. All index text is untrusted (it comes from digests and an LLM): it is only ever
   put into the page with textContent / setAttribute, never as HTML. */
(function () {
  "use strict";
  var MAX_RESULTS = 100;
  var DATE = /^\d{4}-\d{2}-\d{2}$/;
  var form, input, status, list, index = null, rows = [], haystacks = [];

  function text(key, values) {
    // Both languages, tagged so the language switch hides one of them.
    var span = document.createElement("span");
    ["en", "zh"].forEach(function (lang, i) {
      var template = form.getAttribute("data-" + key + "-" + lang) || "";
      var part = document.createElement("span");
      part.className = "l-" + lang;
      if (lang === "zh") { part.setAttribute("lang", "zh-CN"); }
      part.textContent = template.replace(/\{(\w+)\}/g, function (_, name) {
        return values && name in values ? String(values[name]) : "";
      });
      if (i === 1) {
        var sep = document.createElement("span");
        sep.className = "l-bi";
        sep.textContent = " / ";
        span.appendChild(sep);
      }
      span.appendChild(part);
    });
    return span;
  }

  function setStatus(key, values) {
    status.textContent = "";
    if (key) { status.appendChild(text(key, values)); }
  }

  function element(tag, className, content, lang) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (lang) { node.setAttribute("lang", lang); }
    if (content) { node.textContent = content; }
    return node;
  }

  function normalise(value) {
    return (value || "").toLowerCase();
  }

  function load() {
    setStatus("loading");
    return fetch(form.getAttribute("data-index"))
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        index = data;
        var f = {};
        data.fields.forEach(function (name, i) { f[name] = i; });
        rows = data.papers.map(function (row) {
          return {
            id: row[f.id], date: row[f.date], section: row[f.section], title: row[f.title],
            titleZh: row[f.title_zh], authors: row[f.authors], tldrEn: row[f.tldr_en], tldrZh: row[f.tldr_zh]
          };
        });
        haystacks = rows.map(function (r) {
          return normalise([r.title, r.titleZh, r.authors, r.tldrEn, r.tldrZh, r.id].join("\n"));
        });
        setStatus("");
      })
      .catch(function () { setStatus("failed"); });
  }

  function sectionTitle(id) {
    var titles = index.sections[id];
    return titles ? titles : [id, id];
  }

  function render(matches, total) {
    list.textContent = "";
    matches.forEach(function (r) {
      var item = element("li", "paper brief");
      var heading = element("h2", "ptitle");
      var link = element("a", "", r.title, "en");
      if (DATE.test(r.date)) {
        link.setAttribute("href", r.date + "/index.html#p-" + encodeURIComponent(String(r.id).replace(/\//g, "-")));
      }
      heading.appendChild(link);
      item.appendChild(heading);
      if (r.titleZh) { item.appendChild(element("p", "ztitle l-zh", r.titleZh, "zh-CN")); }
      var titles = sectionTitle(r.section);
      var meta = element("p", "meta");
      meta.appendChild(element("span", "date", r.date));
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(element("span", "l-en", titles[0]));
      if (titles[1] && titles[1] !== titles[0]) {
        meta.appendChild(element("span", "l-bi", " · "));
        meta.appendChild(element("span", "l-zh", titles[1], "zh-CN"));
      }
      item.appendChild(meta);
      if (r.authors) { item.appendChild(element("p", "meta authors", r.authors)); }
      if (r.tldrEn) { item.appendChild(element("p", "tldr" + (r.tldrZh ? " l-en" : ""), r.tldrEn, "en")); }
      if (r.tldrZh) { item.appendChild(element("p", "tldr" + (r.tldrEn ? " l-zh" : ""), r.tldrZh, "zh-CN")); }
      list.appendChild(item);
    });
    if (!total) {
      setStatus("none");
    } else {
      setStatus("results", { count: total });
      if (total > matches.length) {
        status.appendChild(document.createTextNode(" ("));
        status.appendChild(text("more", { count: matches.length }));
        status.appendChild(document.createTextNode(")"));
      }
    }
  }

  function search(query) {
    var terms = normalise(query).split(/\s+/).filter(Boolean);
    if (!terms.length || !index) {
      list.textContent = "";
      if (index) { setStatus(""); }
      return;
    }
    var matches = [], total = 0;
    for (var i = 0; i < rows.length; i++) {
      var hay = haystacks[i], ok = true;
      for (var j = 0; j < terms.length && ok; j++) { ok = hay.indexOf(terms[j]) >= 0; }
      if (ok) {
        total += 1;
        if (matches.length < MAX_RESULTS) { matches.push(rows[i]); }
      }
    }
    render(matches, total);
  }

  function currentQuery() {
    return new URLSearchParams(window.location.search).get("q") || "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("search-form");
    input = document.getElementById("q");
    status = document.getElementById("search-status");
    list = document.getElementById("results");
    if (!form) { return; }
    input.value = currentQuery();
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(input.value); }, 120);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var url = new URL(window.location.href);
      url.searchParams.set("q", input.value);
      window.history.replaceState(null, "", url.toString());
      search(input.value);
    });
    load().then(function () { search(input.value); });
  });
})();
