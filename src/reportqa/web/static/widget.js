/*
 * reportqa public widget: a chat panel answering questions from MOPAC's published reports.
 *
 * Embed with one tag:
 *   <script src="https://HOST/widget.js" data-endpoint="https://HOST/api/v1" defer></script>
 * data-endpoint defaults to the script's own origin + /api/v1. Optional: data-title.
 *
 * Everything from the server or from a question is shown with textContent: no HTML from data is
 * ever parsed, so a question or a passage containing markup is displayed as plain text.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__reportqaWidget) { return; }
  window.__reportqaWidget = true;

  var scriptUrl = new URL(script.src, window.location.href);
  var base = (script.getAttribute("data-endpoint") || scriptUrl.origin + "/api/v1").replace(/\/+$/, "");
  var title = script.getAttribute("data-title") || "Ask about MOPAC's reports";
  var NOTICE = "Answers come from published MOPAC reports and may be out of date. " +
    "Check the linked source before relying on a figure.";
  var MAX_HISTORY = 6;
  var history = [];
  var maxChars = 2000;
  var infoLoaded = false;
  var busy = false;

  var CSS = [
    ":host { all: initial; }",
    ".rq, .rq * { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; }",
    ".rq { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; color: #1a1a1a; font-size: 16px; line-height: 1.45; }",
    ".launcher { background: #0b4f9c; color: #fff; border: 2px solid #0b4f9c; border-radius: 999px; padding: 0.65rem 1.1rem; font-size: 1rem; font-weight: 600; cursor: pointer; }",
    ".launcher:hover { background: #083d7a; }",
    "button:focus-visible, textarea:focus-visible, a:focus-visible, .log:focus-visible { outline: 3px solid #0b4f9c; outline-offset: 2px; box-shadow: 0 0 0 5px #fff; }",
    ".panel { position: absolute; right: 0; bottom: 3.5rem; width: min(26rem, calc(100vw - 2rem)); max-height: min(40rem, calc(100vh - 6rem)); display: flex; flex-direction: column; background: #fff; border: 1px solid #6b7280; border-radius: 10px; box-shadow: 0 8px 30px rgba(0,0,0,0.25); overflow: hidden; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; justify-content: space-between; gap: 0.5rem; padding: 0.6rem 0.8rem; background: #0b4f9c; color: #fff; }",
    ".head h2 { margin: 0; font-size: 1.05rem; color: #fff; }",
    ".close { background: transparent; color: #fff; border: 2px solid #fff; border-radius: 6px; padding: 0.15rem 0.55rem; font-size: 0.95rem; cursor: pointer; }",
    ".close:focus-visible { outline: 3px solid #fff; outline-offset: 2px; box-shadow: none; }",
    ".notice { margin: 0; padding: 0.5rem 0.8rem; background: #f3f4f6; color: #1f2937; font-size: 0.85rem; border-bottom: 1px solid #d1d5db; }",
    ".log { flex: 1 1 auto; overflow-y: auto; padding: 0.6rem 0.8rem; min-height: 8rem; }",
    ".msg { margin: 0 0 0.75rem 0; padding: 0.5rem 0.65rem; border-radius: 8px; }",
    ".msg p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".who { font-weight: 700; font-size: 0.8rem; color: #374151; margin-bottom: 0.15rem !important; }",
    ".user { background: #e8f0fb; }",
    ".bot { background: #f9fafb; border: 1px solid #e5e7eb; }",
    ".error { background: #fdecec; color: #7a1414; border: 1px solid #b42318; }",
    ".error .who { color: #7a1414; }",
    ".sources { margin: 0.5rem 0 0 0; padding-left: 1.3rem; font-size: 0.88rem; }",
    ".sources li { margin-bottom: 0.35rem; }",
    ".sources a { color: #0b4f9c; text-decoration: underline; }",
    ".quote { display: block; color: #374151; font-style: italic; }",
    ".srchead { font-weight: 700; font-size: 0.85rem; margin: 0.5rem 0 0 0 !important; }",
    "form { display: flex; flex-direction: column; gap: 0.35rem; padding: 0.6rem 0.8rem; border-top: 1px solid #d1d5db; }",
    "label { font-weight: 600; font-size: 0.9rem; }",
    "textarea { width: 100%; min-height: 3.2rem; resize: vertical; font-size: 1rem; padding: 0.4rem; border: 1px solid #4b5563; border-radius: 6px; color: #1a1a1a; background: #fff; }",
    ".row { display: flex; justify-content: space-between; align-items: center; gap: 0.5rem; }",
    ".hint { font-size: 0.8rem; color: #4b5563; }",
    ".send { background: #0b4f9c; color: #fff; border: 0; border-radius: 6px; padding: 0.45rem 1rem; font-size: 1rem; font-weight: 600; cursor: pointer; }",
    ".send:disabled, textarea:disabled { background: #9ca3af; color: #1a1a1a; cursor: not-allowed; }",
    ".sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }"
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
  var notice = el("p", { "class": "notice", id: "rq-notice" }, NOTICE);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
    "aria-label": "Conversation", tabindex: "0" });
  var form = el("form", { "aria-label": "Ask a question", novalidate: "" });
  var label = el("label", { "for": "rq-q" }, "Your question");
  var input = el("textarea", { id: "rq-q", name: "question", rows: "2", maxlength: String(maxChars),
    "aria-describedby": "rq-hint rq-notice", autocomplete: "off" });
  var row = el("div", { "class": "row" });
  var hint = el("span", { "class": "hint", id: "rq-hint" }, "Enter to send, Shift+Enter for a new line");
  var send = el("button", { type: "submit", "class": "send" }, "Ask");
  row.appendChild(hint);
  row.appendChild(send);
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(row);
  panel.appendChild(head);
  panel.appendChild(notice);
  panel.appendChild(log);
  panel.appendChild(form);
  wrap.appendChild(panel);
  wrap.appendChild(launcher);
  root.appendChild(style);
  root.appendChild(wrap);

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function addMessage(kind, who, text) {
    var box = el("div", { "class": "msg " + kind });
    box.appendChild(el("p", { "class": "who" }, who));
    box.appendChild(el("p", { "class": "text" }, text));
    log.appendChild(box);
    scrollDown();
    return box;
  }

  function addAnswer(data) {
    var box = el("div", { "class": "msg bot" });
    box.appendChild(el("p", { "class": "who" }, "Assistant"));
    box.appendChild(el("p", { "class": "text" }, typeof data.text === "string" ? data.text : ""));
    var cites = Array.isArray(data.citations) ? data.citations : [];
    if (cites.length) {
      box.appendChild(el("p", { "class": "srchead" }, "Sources"));
      var list = el("ol", { "class": "sources" });
      cites.forEach(function (c) {
        var li = el("li");
        var name = "[" + (c.marker || "?") + "] " + (c.title || "Report") + (c.year ? " (" + c.year + ")" : "");
        var href = safeUrl(c.passage_url) || safeUrl(c.url);
        if (href) {
          var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }, name);
          li.appendChild(a);
        } else {
          li.appendChild(el("span", {}, name));
        }
        if (c.section) { li.appendChild(document.createTextNode(", " + c.section)); }
        var original = safeUrl(c.url);
        if (original && original !== href) {
          li.appendChild(document.createTextNode(" "));
          li.appendChild(el("a", { href: original, target: "_blank", rel: "noopener noreferrer" }, "(report page)"));
        }
        if (c.quote) { li.appendChild(el("span", { "class": "quote" }, "\u201c" + c.quote + "\u201d")); }
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    log.appendChild(box);
    scrollDown();
  }

  function setDisabled(off, why) {
    input.disabled = off;
    send.disabled = off;
    if (why) { hint.textContent = why; }
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

  function loadInfo() {
    if (infoLoaded) { return; }
    infoLoaded = true;
    fetch(base + "/info", { method: "GET", credentials: "omit" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (info) {
      if (!info) { return; }
      if (typeof info.max_question_chars === "number") {
        maxChars = info.max_question_chars;
        input.setAttribute("maxlength", String(maxChars));
      }
      if (info.enabled === false) {
        addMessage("error", "Notice", typeof info.message === "string" ? info.message : "The assistant is switched off.");
        setDisabled(true, "The assistant is not available at the moment.");
      }
    }).catch(function () { /* the first question will report the problem */ });
  }

  function ask(question) {
    busy = true;
    send.disabled = true;
    send.textContent = "Asking\u2026";
    log.setAttribute("aria-busy", "true");
    addMessage("user", "You", question);
    var payload = { question: question, history: history.slice(-MAX_HISTORY) };
    fetch(base + "/ask", {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        return { status: r.status, ok: r.ok, body: body, retry: r.headers.get("Retry-After") };
      });
    }).then(function (res) {
      if (res.ok && res.body) {
        addAnswer(res.body);
        history.push({ role: "user", content: question });
        history.push({ role: "assistant", content: String(res.body.text || "").slice(0, 600) });
      } else {
        addMessage("error", res.status === 429 ? "Please slow down" : "Sorry", errorText(res.status, res.body, res.retry));
        if (res.status === 503) { setDisabled(true, "The assistant is not available at the moment."); }
      }
    }).catch(function () {
      addMessage("error", "Sorry", "The assistant could not be reached. Please check your connection and try again.");
    }).then(function () {
      busy = false;
      log.removeAttribute("aria-busy");
      send.textContent = "Ask";
      if (!input.disabled) { send.disabled = false; input.focus(); }
    });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    loadInfo();
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { close(); } });
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); close(); }
  });
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
      addMessage("error", "Sorry", "Please keep your question under " + maxChars + " characters.");
      return;
    }
    input.value = "";
    ask(q);
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
