/* The rating page (measurement/rate_wave.html): one tap or key per answer, each saved at once by htmx.

   Every answer is sent with a request id. A retry of the same answer (after a lost connection, a
   timeout, or a double click) reuses its id, so the server stores it exactly once; choosing an answer
   anew makes a new id, and the newest answer wins on the server. Requests of one question go one at a
   time, the last choice last (hx-sync "queue last"). Without this script the page is plain forms. */
(function () {
  "use strict";
  var root = document.getElementById("rating");
  if (!root || !window.htmx) {
    return;
  }
  var text = root.dataset;
  // A second press of the answer just saved is a double click, not a new answer.
  var DOUBLE_CLICK_MS = 2000;
  var RETRY_MS = [1000, 2000, 5000, 10000, 30000];
  var ARROWS = { arrowright: 1, arrowdown: 1, arrowleft: -1, arrowup: -1 };
  window.htmx.config.timeout = 15000;
  window.htmx.config.reportValidityOfForms = true;

  function uuid4() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    // crypto.randomUUID needs a secure context; getRandomValues works everywhere.
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function isGroup(elt) {
    return elt && elt.classList && elt.classList.contains("rating-group");
  }
  function groups() {
    return Array.prototype.slice.call(root.querySelectorAll("form.rating-group"));
  }
  function options(form) {
    return Array.prototype.slice.call(form.querySelectorAll(".rating-option"));
  }
  function percentInput(form) {
    return form.querySelector("input[name=value]");
  }

  // Roving focus: one Tab stop per question (the chosen option, else the first); arrows move within.
  function rove(form, focusTo) {
    var opts = options(form);
    if (!opts.length) {
      return;
    }
    var stop = focusTo || opts.filter(function (o) { return o.getAttribute("aria-pressed") === "true"; })[0] || opts[0];
    opts.forEach(function (o) { o.tabIndex = o === stop ? 0 : -1; });
  }
  function press(form, value) {
    options(form).forEach(function (o) { o.setAttribute("aria-pressed", String(o.value === value)); });
    rove(form);
  }

  function setStatus(form, cls, message, retry) {
    var box = form.querySelector(".rating-status");
    box.textContent = "";
    var span = document.createElement("span");
    span.className = cls;
    span.textContent = message;
    box.appendChild(span);
    if (retry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button-tertiary rating-retry";
      button.textContent = text.msgRetry;
      button.addEventListener("click", function () { save(form); });
      box.appendChild(button);
    }
  }

  function save(form) {
    window.htmx.trigger(form, "rating-save");
  }

  function advance(form) {
    var all = groups();
    var next = all[all.indexOf(form) + 1];
    if (!next) {
      return;
    }
    var target = percentInput(next) || next.querySelector('.rating-option[tabindex="0"]') || next.querySelector(".rating-option");
    target.focus({ preventScroll: true });
    next.scrollIntoView({ block: "center" });
  }

  // A tap or click: show the choice at once; htmx then submits the form.
  root.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest(".rating-option");
    if (!button) {
      return;
    }
    var form = button.form;
    form._choice = button.value;
    press(form, button.value);
    setStatus(form, "rating-saving", text.msgSaving, false);
  }, true);

  root.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) {
      return;
    }
    var form = e.target.closest && e.target.closest("form.rating-group");
    if (!form) {
      return;
    }
    if (form.dataset.kind === "percent") {
      // Enter submits the form (the browser's own implicit submission); then the next question.
      if (e.key === "Enter" && e.target === percentInput(form) && e.target.checkValidity()) {
        window.setTimeout(function () { advance(form); }, 0);
      }
      return;
    }
    var opts = options(form);
    var key = (e.key || "").toLowerCase();
    var at = opts.indexOf(document.activeElement);
    if (ARROWS[key] || key === "home" || key === "end") {
      var n = opts.length;
      var to = key === "home" ? 0 : key === "end" ? n - 1 : ((at < 0 ? 0 : at) + ARROWS[key] + n) % n;
      rove(form, opts[to]);
      opts[to].focus();
      e.preventDefault();
      return;
    }
    var hit = opts.filter(function (o) { return (o.dataset.keys || "").split(" ").indexOf(key) >= 0; })[0];
    if (hit) {
      e.preventDefault();
      hit.click();
      advance(form);
    }
  });

  // A typed share is saved when the field is left, too (Enter and the button submit the form).
  root.addEventListener("change", function (e) {
    var form = e.target.closest && e.target.closest("form.rating-group");
    if (form && e.target === percentInput(form) && e.target.value !== "" && e.target.checkValidity()) {
      save(form);
    }
  });

  document.body.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (!isGroup(form)) {
      return;
    }
    var input = percentInput(form);
    var value = input ? input.value.trim() : form._choice;
    if (!value) {
      e.preventDefault();
      return;
    }
    var now = Date.now();
    var a = form._attempt;
    var fresh = !a || a.value !== value || a.state === "rejected" ||
      (a.state === "saved" && now - a.at > DOUBLE_CLICK_MS);
    if (fresh) {
      a = form._attempt = { value: value, id: uuid4(), state: "sending", at: now, tries: 0 };
    }
    window.clearTimeout(a.timer);
    a.state = "sending";
    a.tries += 1;
    form._inflight = a;
    var params = e.detail.parameters;
    params.set("value", value);
    params.set("request_id", a.id);
    // The CSRF token from the cookie: still valid after logging in again in another tab.
    var token = cookie("csrftoken");
    if (token) {
      params.delete("csrfmiddlewaretoken");
      e.detail.headers["X-CSRFToken"] = token;
    }
    if (input) {
      setStatus(form, "rating-saving", text.msgSaving, false);
    }
  });

  document.body.addEventListener("htmx:validation:halted", function (e) {
    var form = e.detail.elt;
    if (isGroup(form) && form._inflight) {
      form._inflight.state = "rejected";
      form._inflight = null;
      setStatus(form, "rating-error", "", false);
    }
  });

  // Swap the server's own outcome (saved, or refused with a reason) even for 4xx; anything else
  // (no connection, a proxy's error page) is a failed attempt handled below.
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    if (!isGroup(e.detail.elt)) {
      return;
    }
    var outcome = e.detail.xhr && e.detail.xhr.getResponseHeader("X-Rating-Outcome");
    e.detail.shouldSwap = Boolean(outcome);
    e.detail.isError = false;
  });

  document.body.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!isGroup(form) || !form._inflight) {
      return;
    }
    var a = form._inflight;
    form._inflight = null;
    var xhr = e.detail.xhr;
    var outcome = xhr ? xhr.getResponseHeader("X-Rating-Outcome") : null;
    if (outcome === "saved") {
      a.state = "saved";
      a.at = Date.now();
      return;
    }
    if (outcome === "rejected") {
      a.state = "rejected";
      return;
    }
    a.state = "failed";
    if (form._attempt !== a) {
      return; // a newer choice is on its way
    }
    if (xhr && (xhr.status === 400 || xhr.status === 403 || xhr.status === 404)) {
      a.state = "rejected";
      setStatus(form, "rating-error", text.msgReload, false);
      return;
    }
    // No connection, a timeout, a server error or logged out: keep the answer and its id, try again.
    var status = form.querySelector(".rating-status");
    setStatus(form, "rating-error", outcome === "logged_out" ? status.textContent.trim() : text.msgFailed, true);
    var delay = RETRY_MS[Math.min(a.tries - 1, RETRY_MS.length - 1)];
    a.timer = window.setTimeout(function () {
      if (form._attempt === a && a.state === "failed") {
        save(form);
      }
    }, delay);
  });

  window.addEventListener("online", function () {
    groups().forEach(function (form) {
      var a = form._attempt;
      if (a && a.state === "failed") {
        save(form);
      }
    });
  });

  window.addEventListener("beforeunload", function (e) {
    var unsaved = groups().some(function (form) {
      var a = form._attempt;
      return a && (a.state === "sending" || a.state === "failed");
    });
    if (unsaved) {
      e.preventDefault();
      e.returnValue = text.msgLeave;
    }
  });

  groups().forEach(function (form) { rove(form); });
}());
