/*
 * reportqa public widget: a chat panel answering questions from MOPAC's published reports.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" data-endpoint="https://HOST/api/v1" defer></script>
 * data-endpoint defaults to the script's own origin + /api/v1. Optional: data-title, data-timeout (ms to
 * wait for an answer before saying so; default 45000).
 *
 * Everything from the server or from a question is shown with textContent: no HTML from data is
 * ever parsed, so a question or a passage containing markup is displayed as plain text.
 *
 * Layout: a panel above the launcher on wide screens; the whole viewport when it is narrow or short
 * (a phone, a phone held sideways, 200% zoom), where the question form stays in view and the
 * conversation scrolls above it, and the panel is a modal dialog: focus stays inside it until Escape or
 * Close (WCAG 2.2 2.4.11). Colours follow prefers-color-scheme; focus outlines stay in forced-colours
 * mode. Quotes are shown without soft hyphens, zero-width characters or line breaks.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__reportqaWidget) { return; }
  window.__reportqaWidget = true;

  var scriptUrl = new URL(script.src, window.location.href);
  var base = (script.getAttribute("data-endpoint") || scriptUrl.origin + "/api/v1").replace(/\/+$/, "");
  var title = script.getAttribute("data-title") || "Ask about MOPAC's reports";
  var timeoutMs = parseInt(script.getAttribute("data-timeout") || "45000", 10);
  if (!(timeoutMs > 0)) { timeoutMs = 45000; }
  var NOTICE = "Answers come from published MOPAC reports and may be out of date. " +
    "Check the linked source before relying on a figure.";
  var PRIVACY = "Please don't include personal information, such as names, addresses or case details.";
  var MAX_HISTORY = 6;
  var history = [];
  var maxChars = 2000;
  var infoLoaded = false;
  var busy = false;

  var CSS = [
    ":host { all: initial; }",
    ".rq { --bg: #ffffff; --fg: #1a1a1a; --muted: #374151; --soft: #f3f4f6; --edge: #6b7280; --line: #d1d5db;" +
      " --brand: #0b4f9c; --brand-dark: #083d7a; --on-brand: #ffffff; --link: #0b4f9c; --user: #e8f0fb;" +
      " --bot: #f9fafb; --bot-edge: #e5e7eb; --err-bg: #fdecec; --err-fg: #7a1414; --err-edge: #b42318;" +
      " --focus: #0b4f9c; --ring: #ffffff; --off-bg: #9ca3af; --off-fg: #1a1a1a; color-scheme: light; }",
    "@media (prefers-color-scheme: dark) { .rq { --bg: #1b1f24; --fg: #f1f3f5; --muted: #c9d1d9; --soft: #262c33;" +
      " --edge: #8b949e; --line: #3d444d; --brand: #0b4f9c; --brand-dark: #0a3f7d; --on-brand: #ffffff;" +
      " --link: #9cc2ff; --user: #1d3557; --bot: #22272e; --bot-edge: #3d444d; --err-bg: #3b1a1a;" +
      " --err-fg: #ffd0d0; --err-edge: #f47067; --focus: #9cc2ff; --ring: #1b1f24; --off-bg: #4b5563;" +
      " --off-fg: #f1f3f5; color-scheme: dark; } }",
    ".rq, .rq * { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; }",
    ".rq { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; color: var(--fg); font-size: 16px; line-height: 1.45; }",
    ".launcher { background: var(--brand); color: var(--on-brand); border: 2px solid var(--brand); border-radius: 999px; padding: 0.65rem 1.1rem; font-size: 1rem; font-weight: 600; cursor: pointer; }",
    ".launcher:hover { background: var(--brand-dark); }",
    "button:focus-visible, textarea:focus-visible, a:focus-visible, .log:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; box-shadow: 0 0 0 5px var(--ring); }",
    ".panel { position: absolute; right: 0; bottom: 3.5rem; width: min(26rem, calc(100vw - 2rem)); height: min(40rem, calc(100vh - 6rem)); display: flex; flex-direction: column; background: var(--bg); color: var(--fg); border: 1px solid var(--edge); border-radius: 10px; box-shadow: 0 8px 30px rgba(0,0,0,0.25); overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    ".head { flex: 0 0 auto; display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; padding: 0.5rem 0.8rem; background: var(--brand); color: var(--on-brand); }",
    ".head h2 { margin: 0; font-size: 1.05rem; color: var(--on-brand); }",
    ".close { background: transparent; color: var(--on-brand); border: 2px solid var(--on-brand); border-radius: 6px; padding: 0.15rem 0.55rem; font-size: 0.95rem; cursor: pointer; }",
    ".close:focus-visible { outline: 3px solid var(--on-brand); outline-offset: 2px; box-shadow: none; }",
    ".log { position: relative; flex: 1 1 auto; min-height: 0; overflow-y: auto; overscroll-behavior: contain; padding: 0.6rem 0.8rem; }",
    ".intro { margin: 0 0 0.75rem 0; font-size: 0.9rem; }",
    ".intro p { margin: 0 0 0.4rem 0; }",
    ".notice { padding: 0.45rem 0.6rem; background: var(--soft); color: var(--fg); border-radius: 6px; }",
    ".examples { list-style: none; margin: 0.25rem 0 0 0; padding: 0; display: flex; flex-direction: column; gap: 0.35rem; }",
    ".example { width: 100%; text-align: left; background: var(--bg); color: var(--link); border: 1px solid var(--edge); border-radius: 6px; padding: 0.35rem 0.55rem; font-size: 0.9rem; cursor: pointer; }",
    ".example:hover { background: var(--soft); }",
    ".msg { margin: 0 0 0.75rem 0; padding: 0.5rem 0.65rem; border-radius: 8px; }",
    ".msg p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".who { font-weight: 700; font-size: 0.8rem; color: var(--muted); margin-bottom: 0.15rem !important; }",
    ".user { background: var(--user); }",
    ".bot { background: var(--bot); border: 1px solid var(--bot-edge); }",
    ".error { background: var(--err-bg); color: var(--err-fg); border: 1px solid var(--err-edge); }",
    ".error .who { color: var(--err-fg); }",
    ".sources { margin: 0.5rem 0 0 0; padding-left: 1.3rem; font-size: 0.88rem; overflow-wrap: anywhere; }",
    ".sources li { margin-bottom: 0.35rem; }",
    ".sources a { color: var(--link); text-decoration: underline; }",
    ".quote { display: block; color: var(--muted); font-style: italic; }",
    ".srchead { font-weight: 700; font-size: 0.85rem; margin: 0.5rem 0 0 0 !important; }",
    ".srcline { margin: 0.35rem 0 0 0 !important; font-size: 0.88rem; color: var(--muted); }",
    ".srcline a { color: var(--link); text-decoration: underline; }",
    ".more { margin-top: 0.4rem; background: var(--bg); color: var(--link); border: 1px solid var(--edge); border-radius: 6px; padding: 0.15rem 0.6rem; font-size: 0.85rem; cursor: pointer; }",
    ".full { margin-top: 0.4rem; }",
    ".full[hidden] { display: none; }",
    ".fb { display: flex; flex-wrap: wrap; align-items: center; gap: 0.4rem; margin-top: 0.5rem; font-size: 0.85rem; }",
    ".fb button { background: var(--bg); color: var(--fg); border: 1px solid var(--edge); border-radius: 6px; padding: 0.2rem 0.6rem; font-size: 0.85rem; cursor: pointer; }",
    ".fb button[aria-pressed=true] { background: var(--brand); color: var(--on-brand); border-color: var(--brand); }",
    ".fb button:disabled { cursor: default; }",
    "form { flex: 0 0 auto; display: flex; flex-direction: column; gap: 0.3rem; padding: 0.5rem 0.8rem 0.6rem; border-top: 1px solid var(--line); background: var(--bg); }",
    "label { font-weight: 600; font-size: 0.9rem; }",
    ".privacy { margin: 0; font-size: 0.8rem; color: var(--muted); }",
    "textarea { width: 100%; min-height: 2.8rem; max-height: 30vh; resize: vertical; font-size: 1rem; padding: 0.4rem; border: 1px solid var(--edge); border-radius: 6px; color: var(--fg); background: var(--bg); }",
    "textarea[aria-invalid=true] { border: 2px solid var(--err-edge); }",
    ".row { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; }",
    ".count { font-size: 0.8rem; color: var(--muted); }",
    ".count.over { color: var(--err-fg); font-weight: 700; }",
    ".field-error { margin: 0; padding: 0.3rem 0.5rem; font-size: 0.85rem; background: var(--err-bg); color: var(--err-fg); border: 1px solid var(--err-edge); border-radius: 6px; }",
    ".field-error[hidden] { display: none; }",
    ".send { background: var(--brand); color: var(--on-brand); border: 0; border-radius: 6px; padding: 0.45rem 1rem; font-size: 1rem; font-weight: 600; cursor: pointer; }",
    ".send:disabled, textarea:disabled { background: var(--off-bg); color: var(--off-fg); cursor: not-allowed; }",
    ".sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }",
    // narrow or short viewports (a phone, a phone sideways, 200% zoom): the panel fills the viewport
    "@media (max-width: 30em), (max-height: 32em) {" +
      " .panel { position: fixed; top: 0; right: 0; bottom: 0; left: 0; width: auto; height: auto; border-radius: 0; border: 0; box-shadow: none; }" +
      " .rq.open .launcher { display: none; }" +
      " .head { padding: 0.3rem 0.6rem; } .log { padding: 0.4rem 0.6rem; }" +
      " form { padding: 0.35rem 0.6rem 0.45rem; gap: 0.2rem; } textarea { min-height: 2.6rem; }" +
      " .hint { display: none; } }",
    "@media (forced-colors: active) {" +
      " button:focus-visible, textarea:focus-visible, a:focus-visible, .log:focus-visible, .close:focus-visible" +
      " { outline: 3px solid Highlight; outline-offset: 2px; }" +
      " .panel, .msg, .launcher, .send, .close, .example, .fb button, textarea { border: 1px solid CanvasText; } }"
  ].join("\n");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function safeUrl(value) {
    if (typeof value !== "string" || !value) { return null; }
    try {
      var u = new URL(value, base + "/");
      return (u.protocol === "https:" || u.protocol === "http:") ? u.href : null;
    } catch (e) { return null; }
  }

  function str(value) { return typeof value === "string" ? value : ""; }

  // Report text as shown and copied: no soft hyphens or zero-width characters (a word softly hyphenated at
  // a line's end joined) and, for a quote, no line breaks: the server keeps quotes exact (their offsets into
  // the report), so the cleaning is done here, as the workspace does (reportqa.display).
  var INVISIBLE = /[\u00ad\u200b\u200c\u200d\u2060\ufeff]/g;
  function cleanText(value) {
    return str(value).replace(/\u00ad[ \t]*(?:\r?\n[ \t]*)?/g, "").replace(INVISIBLE, "");
  }
  function cleanQuote(value) {
    return cleanText(str(value).replace(/([A-Za-z\u00c0-\u024f])-[ \t]*\r?\n[ \t]*(?=[A-Za-z\u00c0-\u024f])/g, "$1-"))
      .replace(/\s+/g, " ").trim();
  }

  function number(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  var host = el("div", { id: "reportqa-widget" });
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style");
  style.textContent = CSS;
  var wrap = el("div", { "class": "rq" });
  var launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false",
    "aria-controls": "rq-panel" }, title);
  var panel = el("section", { id: "rq-panel", "class": "panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "rq-title" });
  panel.hidden = true;
  var head = el("div", { "class": "head" });
  head.appendChild(el("h2", { id: "rq-title" }, title));
  var closeBtn = el("button", { type: "button", "class": "close", "aria-label": "Close the assistant" }, "Close");
  head.appendChild(closeBtn);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0" });
  var intro = el("div", { "class": "intro" });
  intro.appendChild(el("p", { "class": "notice", id: "rq-notice" }, NOTICE));
  var coverage = el("p", { "class": "coverage" });
  intro.appendChild(coverage);
  log.appendChild(intro);
  var form = el("form", { "aria-label": "Ask a question", novalidate: "" });
  var label = el("label", { "for": "rq-q" }, "Your question");
  var privacy = el("p", { "class": "privacy", id: "rq-privacy" }, PRIVACY);
  var input = el("textarea", { id: "rq-q", name: "question", rows: "2",
    "aria-describedby": "rq-privacy rq-count rq-err", autocomplete: "off" });
  var fieldError = el("p", { "class": "field-error", id: "rq-err", role: "alert" });
  fieldError.hidden = true;
  var row = el("div", { "class": "row" });
  var counter = el("span", { "class": "count", id: "rq-count" });
  var hint = el("span", { "class": "hint count", id: "rq-hint" }, "Enter to send, Shift+Enter for a new line");
  var send = el("button", { type: "submit", "class": "send" }, "Ask");
  row.appendChild(counter);
  row.appendChild(hint);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(privacy);
  form.appendChild(input);
  form.appendChild(fieldError);
  form.appendChild(row);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(form);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(style);
  root.appendChild(wrap);

  function updateCount() {
    var n = input.value.length;
    var over = n > maxChars;
    var extra = n - maxChars;
    counter.textContent = over ? number(extra) + (extra === 1 ? " character" : " characters") + " too many (limit " +
      number(maxChars) + ")"
      : number(n) + " of " + number(maxChars) + " characters";
    counter.className = over ? "count over" : "count";
    if (over) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
    if (!over && !fieldError.hidden) { fieldError.hidden = true; fieldError.textContent = ""; }
  }
  updateCount();

  function showFieldError(text) {
    fieldError.textContent = text;
    fieldError.hidden = false;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function showTop(box) {
    // the start of the new answer at the top of the conversation, however long the answer is
    log.scrollTop = Math.max(0, box.offsetTop - 8);
  }

  function addMessage(kind, who, text) {
    var box = el("div", { "class": "msg " + kind });
    box.appendChild(el("p", { "class": "who" }, who));
    box.appendChild(el("p", { "class": "text" }, text));
    log.appendChild(box);
    if (kind === "user") { scrollDown(); } else { showTop(box); }
    return box;
  }

  function passageList(items, heading, box) {
    box.appendChild(el("p", { "class": "srchead" }, heading));
    var list = el("ol", { "class": "sources" });
    items.forEach(function (c) {
      if (!c || typeof c !== "object") { return; }
      var li = el("li");
      var name = "[" + (c.marker || "?") + "] " + (str(c.title) || "Report") + (c.year ? " (" + str(c.year) + ")" : "") +
        (c.page ? ", page " + number(c.page) : "");
      var href = safeUrl(c.passage_url) || safeUrl(c.url);
      if (href) {
        li.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, name));
      } else {
        li.appendChild(el("span", {}, name));
      }
      if (c.section) { li.appendChild(document.createTextNode(", " + str(c.section))); }
      var original = safeUrl(c.url);
      if (original && original !== href) {
        li.appendChild(document.createTextNode(" "));
        li.appendChild(el("a", { href: original, target: "_blank", rel: "noopener noreferrer" }, "(report page)"));
      }
      if (c.quote) { li.appendChild(el("span", { "class": "quote" }, "\u201c" + cleanQuote(c.quote) + "\u201d")); }
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function feedbackButtons(box, question, data) {
    var group = el("div", { "class": "fb", role: "group", "aria-label": "Was this answer useful?" });
    group.appendChild(el("span", { "aria-hidden": "true" }, "Was this useful?"));
    var yes = el("button", { type: "button", "aria-pressed": "false" }, "Useful");
    var no = el("button", { type: "button", "aria-pressed": "false" }, "Not useful");
    var status = el("span", { "class": "fb-status", role: "status" });
    group.appendChild(yes);
    group.appendChild(no);
    group.appendChild(status);
    var cites = (Array.isArray(data.citations) ? data.citations : []).slice(0, 20).map(function (c) {
      return { marker: typeof c.marker === "number" ? c.marker : 0, title: str(c.title), year: str(c.year),
        section: str(c.section), quote: str(c.quote).slice(0, 300) };  // enough to find the passage again
    });
    function rate(helpful, button) {
      yes.disabled = true;
      no.disabled = true;
      button.setAttribute("aria-pressed", "true");
      status.textContent = "Sending\u2026";
      fetch(base + "/feedback", {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: question, answer: str(data.text), status: str(data.status),
          helpful: helpful, citations: cites })
      }).then(function (r) {
        status.textContent = r.ok ? "Thank you for your feedback." : "Sorry, your feedback could not be saved.";
        if (!r.ok) { yes.disabled = false; no.disabled = false; button.setAttribute("aria-pressed", "false"); }
      }).catch(function () {
        status.textContent = "Sorry, your feedback could not be sent.";
        yes.disabled = false;
        no.disabled = false;
        button.setAttribute("aria-pressed", "false");
      });
    }
    yes.addEventListener("click", function () { rate(true, yes); });
    no.addEventListener("click", function () { rate(false, no); });
    box.appendChild(group);
  }

  // The short answer first (the sentence that answers, no "According to ..." opening) with one source line:
  // the report, its year, the page, a link to the passage and to the report itself; "More" shows the full
  // answer and every source (issue 24). An answer without a short form is shown whole.
  function sourceLine(short) {
    var line = el("p", { "class": "srcline" });
    line.appendChild(document.createTextNode("Source: "));
    var name = (str(short.source) || str(short.title)) + (short.page ? ", page " + number(short.page) : "");
    var href = safeUrl(short.passage_url);
    if (href) {
      line.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, name));
    } else {
      line.appendChild(document.createTextNode(name));
    }
    var original = safeUrl(short.url);
    if (original) {
      line.appendChild(document.createTextNode(" "));
      line.appendChild(el("a", { href: original, target: "_blank", rel: "noopener noreferrer" }, "(report page)"));
    }
    return line;
  }

  var moreCount = 0;
  function addAnswer(data, question) {
    var box = el("div", { "class": "msg bot" });
    box.appendChild(el("p", { "class": "who" }, "Assistant"));
    var short = data.short && typeof data.short === "object" ? data.short : null;
    var cites = Array.isArray(data.citations) ? data.citations : [];
    var related = Array.isArray(data.related) ? data.related : [];
    var full = box;
    if (short && str(short.text) && (short.more || cites.length)) {
      box.appendChild(el("p", { "class": "text short" }, cleanText(short.text)));
      if (str(short.title)) { box.appendChild(sourceLine(short)); }
      moreCount += 1;
      var id = "rq-more-" + moreCount;
      var more = el("button", { type: "button", "class": "more", "aria-expanded": "false", "aria-controls": id },
        "More");
      full = el("div", { "class": "full", id: id });
      full.hidden = true;
      more.addEventListener("click", function () {
        var opening = full.hidden;
        full.hidden = !opening;
        more.setAttribute("aria-expanded", opening ? "true" : "false");
        more.textContent = opening ? "Less" : "More";
      });
      box.appendChild(more);
      box.appendChild(full);
      full.appendChild(el("p", { "class": "text" }, cleanText(data.text)));
    } else {
      box.appendChild(el("p", { "class": "text" }, cleanText(data.text)));
    }
    if (cites.length) { passageList(cites, "Sources", full); }
    if (data.status === "not_found" && related.length) { passageList(related, "Related passages", full); }
    feedbackButtons(box, question, data);
    log.appendChild(box);
    showTop(box);
  }

  function setDisabled(off, why) {
    input.disabled = off;
    send.disabled = off;
    if (why) { hint.textContent = ""; counter.textContent = why; }
  }

  function errorText(status, body, retryAfter) {
    var msg = (body && typeof body.error === "string") ? body.error : "The assistant could not answer just now.";
    var more = (body && typeof body.hint === "string") ? body.hint : "";
    if (status === 429) {
      var secs = parseInt(retryAfter || (body && body.retry_after) || "60", 10);
      return "You have asked several questions in a short time. Please wait " + secs +
        " seconds and try again.";
    }
    if (status === 503) { return msg; }
    return more ? msg + " \u2014 " + more : msg;
  }

  function showIntro(info) {
    var text = typeof info.coverage === "string" && info.coverage
      ? "I answer from MOPAC's " + info.coverage + "."
      : "I answer from MOPAC's published reports.";
    coverage.textContent = text;
    var examples = Array.isArray(info.examples) ? info.examples.filter(function (q) {
      return typeof q === "string" && q;
    }).slice(0, 3) : [];
    if (!examples.length) { return; }
    intro.appendChild(el("p", { id: "rq-try" }, "You could ask:"));
    var list = el("ul", { "class": "examples", "aria-labelledby": "rq-try" });
    examples.forEach(function (q) {
      var li = el("li");
      var b = el("button", { type: "button", "class": "example" }, q);
      b.addEventListener("click", function () {
        if (busy || input.disabled) { return; }
        input.value = "";
        updateCount();
        ask(q);
      });
      li.appendChild(b);
      list.appendChild(li);
    });
    intro.appendChild(list);
  }

  function loadInfo() {
    if (infoLoaded) { return; }
    infoLoaded = true;
    fetch(base + "/info", { method: "GET", credentials: "omit" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (info) {
      if (!info) { coverage.textContent = "I answer from MOPAC's published reports."; return; }
      if (typeof info.max_question_chars === "number" && info.max_question_chars > 0) {
        maxChars = info.max_question_chars;
        updateCount();
      }
      if (info.enabled === false) {
        addMessage("error", "Notice", typeof info.message === "string" ? info.message : "The assistant is switched off.");
        setDisabled(true, "The assistant is not available at the moment.");
        return;
      }
      showIntro(info);
    }).catch(function () { coverage.textContent = "I answer from MOPAC's published reports."; });
  }

  function ask(question) {
    busy = true;
    send.disabled = true;
    send.textContent = "Asking\u2026";
    log.setAttribute("aria-busy", "true");
    addMessage("user", "You", question);
    var payload = { question: question, history: history.slice(-MAX_HISTORY) };
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timedOut = false;
    var timer = setTimeout(function () {
      timedOut = true;
      if (controller) { controller.abort(); }
    }, timeoutMs);
    fetch(base + "/ask", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload), signal: controller ? controller.signal : undefined
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        return { status: r.status, ok: r.ok, body: body, retry: r.headers.get("Retry-After") };
      });
    }).then(function (res) {
      if (timedOut) { throw new Error("timeout"); }
      if (res.ok && res.body) {
        addAnswer(res.body, question);
        history.push({ role: "user", content: question });
        history.push({ role: "assistant", content: str(res.body.text).slice(0, 600) });
      } else {
        addMessage("error", res.status === 429 ? "Please slow down" : "Sorry", errorText(res.status, res.body, res.retry));
        if (res.status === 503) { setDisabled(true, "The assistant is not available at the moment."); }
      }
    }).catch(function () {
      addMessage("error", "Sorry", timedOut
        ? "The assistant took too long to answer (" + Math.round(timeoutMs / 1000) + " seconds). Please try again in a moment."
        : "The assistant could not be reached. Please check your connection and try again.");
    }).then(function () {
      clearTimeout(timer);
      busy = false;
      log.removeAttribute("aria-busy");
      send.textContent = "Ask";
      if (!input.disabled) { send.disabled = false; input.focus({ preventScroll: true }); }
    });
  }

  // Where the open panel covers the page (the same query as the CSS: a phone, a phone sideways, 200% zoom),
  // it is a modal dialog (WCAG 2.2 2.4.11, focus not obscured): Tab and Shift+Tab cycle inside it, focus
  // that reaches the page behind by any other way is brought back, and Escape closes it, returning focus to
  // the launcher. Beside the page (a wide screen) it is not modal: the page stays usable, and Escape on a
  // page element under the panel closes the panel, focus staying there, so no focused element stays hidden.
  var covering = window.matchMedia ? window.matchMedia("(max-width: 30em), (max-height: 32em)") : null;

  function isModal() { return !panel.hidden && !!covering && covering.matches; }

  function updateModal() { panel.setAttribute("aria-modal", isModal() ? "true" : "false"); }

  function focusables() {
    var sel = "button:not([disabled]), textarea:not([disabled]), a[href], [tabindex]:not([tabindex='-1'])";
    return Array.prototype.filter.call(panel.querySelectorAll(sel), function (node) {
      return node.getClientRects().length > 0 && getComputedStyle(node).visibility !== "hidden";
    });
  }

  function inPanel(node) { return !!node && panel.contains(node); }

  function active() { return (root !== host && root.activeElement) || document.activeElement; }

  function under(node) {
    // whether a page element lies (at least partly) under the open panel
    if (!node || !node.getBoundingClientRect) { return false; }
    var a = node.getBoundingClientRect();
    var b = panel.getBoundingClientRect();
    return a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
  }

  function focusInside(node) {
    var items = focusables();
    if (node && items.indexOf(node) >= 0) { node.focus(); return; }
    (input.disabled ? (items[0] || closeBtn) : input).focus();
  }

  function open() {
    panel.hidden = false;
    wrap.className = "rq open";
    launcher.setAttribute("aria-expanded", "true");
    updateModal();
    loadInfo();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    wrap.className = "rq";
    launcher.setAttribute("aria-expanded", "false");
    updateModal();
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); close(); return; }
    if (e.key !== "Tab" || !isModal()) { return; }
    var items = focusables();
    if (!items.length) { e.preventDefault(); return; }
    var current = active();
    var first = items[0];
    var last = items[items.length - 1];
    if (e.shiftKey && (current === first || !inPanel(current))) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && (current === last || !inPanel(current))) { e.preventDefault(); first.focus(); }
  });
  // focus that leaves a modal panel by another way (a click on its edge, a screen reader's commands, a
  // script of the page) comes back to where it was
  var lastInside = null;
  root.addEventListener("focusin", function (e) { if (inPanel(e.target)) { lastInside = e.target; } });
  document.addEventListener("focusin", function (e) {
    if (isModal() && !host.contains(e.target)) { focusInside(lastInside); }
  });
  document.addEventListener("keydown", function (e) {
    // Escape on a page element the panel is drawn over closes the panel, focus staying on that element
    if (e.key === "Escape" && !panel.hidden && !host.contains(e.target) && !e.defaultPrevented &&
        under(e.target)) {
      panel.hidden = true;
      wrap.className = "rq";
      launcher.setAttribute("aria-expanded", "false");
      updateModal();
    }
  });
  if (covering) {
    var onChange = function () {
      updateModal();
      if (isModal() && !inPanel(active())) { focusInside(lastInside); }
    };
    if (covering.addEventListener) { covering.addEventListener("change", onChange); }
    else if (covering.addListener) { covering.addListener(onChange); }
  }
  input.addEventListener("input", updateCount);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.dispatchEvent(new Event("submit")); }
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    if (!q || busy) { return; }
    if (q.length > maxChars) {
      showFieldError("Your question is " + number(q.length) + " characters long. Please shorten it to " +
        number(maxChars) + " characters or fewer: nothing was sent.");
      input.focus();
      return;
    }
    fieldError.hidden = true;
    input.value = "";
    updateCount();
    ask(q);
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
