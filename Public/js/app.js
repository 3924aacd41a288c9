// Carebox page enhancements. Every page works without this file; it adds the formatting toolbar, recipient
// filtering, draft autosave and auto-submitting drop-downs. No inline script anywhere (strict CSP).
"use strict";

(function () {
  document.documentElement.classList.add("js");

  // Print: the browser's own dialog; the print stylesheet leaves the conversation alone on the page.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Drop-downs that switch a view (folder, "Viewing:") submit as soon as they change.
  // A choice made with the mouse applies at once. With the keyboard, the arrow keys only move through the options
  // (changing on every arrow would switch a proxy into another person's messages on the way to the one they want):
  // the form's button appears, and Enter or the button applies the choice.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    var byKeyboard = false;
    select.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        select.form.submit();
      } else {
        byKeyboard = true;
      }
    });
    select.addEventListener("pointerdown", function () { byKeyboard = false; });
    select.addEventListener("change", function () {
      if (!byKeyboard) { select.form.submit(); return; }
      var button = select.form.querySelector("button.js-hidden");
      if (button) button.classList.remove("js-hidden");
    });
  });

  // ---- Rich text: the editor edits a document, never raw HTML ------------------------------------------------

  var MARK_TAGS = { B: "bold", STRONG: "bold", I: "italic", EM: "italic", U: "underline" };

  function inlineNodes(node, marks, link, out) {
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        if (child.nodeValue === "") return;
        var text = { type: "text", text: child.nodeValue.replace(/\u00a0/g, " ") };
        var list = ["bold", "italic", "underline"].filter(function (m) { return marks.indexOf(m) >= 0; });
        if (list.length) text.marks = list;
        if (link) text.link = link;
        out.push(text);
      } else if (child.nodeName === "BR") {
        out.push({ type: "hard_break" });
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        var mark = MARK_TAGS[child.nodeName];
        var styleMarks = marks.slice();
        if (mark) styleMarks.push(mark);
        var href = child.nodeName === "A" ? child.getAttribute("href") : link;
        inlineNodes(child, styleMarks, href, out);
      }
    });
    return out;
  }

  function isBlock(node) {
    return ["P", "DIV", "UL", "OL", "LI", "H1", "H2", "H3", "BLOCKQUOTE"].indexOf(node.nodeName) >= 0;
  }

  function blocks(container) {
    var result = [];
    var loose = document.createElement("p");
    function flush() {
      if (loose.childNodes.length) {
        var inl = inlineNodes(loose, [], null, []);
        while (inl.length && inl[inl.length - 1].type === "hard_break") inl.pop();
        if (inl.length) result.push({ type: "paragraph", content: inl });
      }
      loose = document.createElement("p");
    }
    Array.prototype.slice.call(container.childNodes).forEach(function (child) {
      if (child.nodeType === Node.ELEMENT_NODE && isBlock(child)) {
        flush();
        if (child.nodeName === "UL" || child.nodeName === "OL") {
          var items = Array.prototype.filter.call(child.children, function (li) { return li.nodeName === "LI"; })
            .map(function (li) { return { type: "list_item", content: blocks(li) }; });
          result.push({ type: child.nodeName === "UL" ? "bullet_list" : "ordered_list", content: items });
        } else {
          var inner = blocks(child);
          if (inner.length === 0) result.push({ type: "paragraph", content: [] });
          inner.forEach(function (b) { result.push(b); });
        }
      } else {
        loose.appendChild(child.cloneNode(true));
      }
    });
    flush();
    return result;
  }

  function documentFrom(editor) {
    return { type: "doc", content: blocks(editor) };
  }

  function plainText(doc) {
    function inl(list) {
      return (list || []).map(function (n) { return n.type === "hard_break" ? "\n" : n.text; }).join("");
    }
    function blk(list, indent) {
      return (list || []).map(function (b) {
        if (b.type === "paragraph") return indent + inl(b.content);
        return b.content.map(function (item, i) {
          var marker = b.type === "bullet_list" ? "- " : (i + 1) + ". ";
          return indent + marker + blk(item.content, "").trim();
        }).join("\n");
      }).join("\n\n");
    }
    return blk(doc.content, "");
  }

  function renderInto(editor, doc) {
    function inline(parent, list) {
      (list || []).forEach(function (n) {
        if (n.type === "hard_break") { parent.appendChild(document.createElement("br")); return; }
        var node = document.createTextNode(n.text);
        (n.marks || []).forEach(function (m) {
          var wrap = document.createElement({ bold: "strong", italic: "em", underline: "u" }[m]);
          wrap.appendChild(node); node = wrap;
        });
        if (n.link && /^(https?:|mailto:)/i.test(n.link)) {
          var a = document.createElement("a"); a.setAttribute("href", n.link); a.appendChild(node); node = a;
        }
        parent.appendChild(node);
      });
    }
    function block(parent, list) {
      (list || []).forEach(function (b) {
        if (b.type === "paragraph") {
          var p = document.createElement("p"); inline(p, b.content);
          if (!p.childNodes.length) p.appendChild(document.createElement("br"));
          parent.appendChild(p);
        } else {
          var l = document.createElement(b.type === "bullet_list" ? "ul" : "ol");
          (b.content || []).forEach(function (item) {
            var li = document.createElement("li"); block(li, item.content); l.appendChild(li);
          });
          parent.appendChild(l);
        }
      });
    }
    block(editor, doc.content);
  }

  function setUpEditor(textarea) {
    var form = textarea.form;
    var jsonField = form.querySelector("input[name=body_json]");
    var label = form.querySelector("label[for=" + textarea.id + "]");
    var toolbar = document.createElement("div");
    toolbar.className = "toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    var editor = document.createElement("div");
    editor.className = "editor";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.id = textarea.id + "-editor";
    if (label) { label.id = label.id || textarea.id + "-label"; editor.setAttribute("aria-labelledby", label.id); label.setAttribute("for", editor.id); }

    // Each button's name is its visible text (WCAG 2.5.3: someone who says "click Bold" finds it). The styles and
    // lists say whether they are on where the cursor is (aria-pressed); Link is an action, not a state.
    var buttons = [
      ["bold", "Bold", true], ["italic", "Italic", true], ["underline", "Underline", true],
      ["insertUnorderedList", "Bulleted list", true], ["insertOrderedList", "Numbered list", true],
      ["createLink", "Link", false],
    ];
    var toggles = [];
    function showPressed() {
      toggles.forEach(function (t) {
        var on = false;
        try { on = document.queryCommandState(t.command); } catch (e) { on = false; }
        t.button.setAttribute("aria-pressed", on ? "true" : "false");
      });
    }
    buttons.forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tool tool-" + spec[0];
      button.textContent = spec[1];
      if (spec[2]) {
        button.setAttribute("aria-pressed", "false");
        toggles.push({ command: spec[0], button: button });
      }
      button.addEventListener("mousedown", function (e) { e.preventDefault(); });
      button.addEventListener("click", function () {
        editor.focus();
        if (spec[0] === "createLink") {
          var url = window.prompt("Link address (https://…)", "https://");
          if (!url || !/^(https?:\/\/[^\s]+|mailto:[^\s]+)$/i.test(url)) return;
          document.execCommand("createLink", false, url);
        } else {
          document.execCommand(spec[0], false, null);
        }
        sync();
        showPressed();
      });
      toolbar.appendChild(button);
    });
    // Arrow keys move between toolbar buttons (one tab stop for the toolbar, as WAI-ARIA's toolbar pattern asks).
    var tools = toolbar.querySelectorAll("button");
    tools.forEach(function (b, i) {
      b.tabIndex = i === 0 ? 0 : -1;
      b.addEventListener("keydown", function (e) {
        var next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
        if (next === null) return;
        e.preventDefault();
        var target = tools[(next + tools.length) % tools.length];
        tools.forEach(function (t) { t.tabIndex = -1; });
        target.tabIndex = 0; target.focus();
      });
    });

    // The saved document comes in data-document; body_json stays empty until the editor writes it, so a browser
    // without this script posts only the plain text box, as typed.
    var existing = textarea.dataset.document ? safeParse(textarea.dataset.document) : null;
    if (existing) {
      renderInto(editor, existing);
    } else if (textarea.value) {
      renderInto(editor, { type: "doc", content: textarea.value.split(/\n{2,}/).map(function (para) {
        var content = [];
        para.split("\n").forEach(function (line, i) {
          if (i > 0) content.push({ type: "hard_break" });
          if (line) content.push({ type: "text", text: line });
        });
        return { type: "paragraph", content: content };
      }) });
    }

    function write() {
      var doc = documentFrom(editor);
      textarea.value = plainText(doc);
      if (jsonField) jsonField.value = doc.content.length ? JSON.stringify(doc) : "";
    }
    function sync() {
      write();
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }
    write();
    editor.addEventListener("input", sync);
    document.addEventListener("selectionchange", function () {
      if (document.activeElement === editor) showPressed();
    });
    // Pasted content arrives as plain text: no foreign HTML ever enters the document.
    editor.addEventListener("paste", function (e) {
      e.preventDefault();
      var text = (e.clipboardData || window.clipboardData).getData("text/plain");
      document.execCommand("insertText", false, text);
    });
    textarea.hidden = true;
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(editor, textarea);
    form.addEventListener("submit", sync);
  }

  function safeParse(text) { try { return JSON.parse(text); } catch (e) { return null; } }

  document.querySelectorAll("textarea[data-rich-text]").forEach(setUpEditor);

  // ---- Recipients follow the chosen message type; typing filters them ---------------------------------------

  var recipientSelect = document.querySelector("select[data-recipients]");
  if (recipientSelect) {
    var form = recipientSelect.form;
    var filter = document.createElement("input");
    filter.type = "search";
    filter.id = "recipient-filter";
    filter.className = "recipient-filter";
    filter.setAttribute("aria-label", "Type a recipient's name");
    filter.setAttribute("aria-controls", "recipient");
    filter.placeholder = "Type a name";
    recipientSelect.parentNode.insertBefore(filter, recipientSelect);
    var all = [];
    function remember() {
      all = Array.prototype.slice.call(recipientSelect.options).filter(function (o) { return o.value; })
        .map(function (o) { return { value: o.value, label: o.textContent }; });
    }
    function show(list, placeholder) {
      var current = recipientSelect.value;
      recipientSelect.innerHTML = "";
      var first = document.createElement("option"); first.value = ""; first.textContent = placeholder;
      recipientSelect.appendChild(first);
      list.forEach(function (r) {
        var o = document.createElement("option"); o.value = r.value; o.textContent = r.label;
        if (r.value === current) o.selected = true;
        recipientSelect.appendChild(o);
      });
    }
    remember();
    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      var matches = all.filter(function (r) { return r.label.toLowerCase().indexOf(needle) >= 0; });
      show(matches, matches.length ? "Select a recipient" : "No match: call the provider's office");
      if (needle && matches.length >= 1) { recipientSelect.value = matches[0].value; }
      recipientSelect.dispatchEvent(new Event("change", { bubbles: true }));
    });
    form.querySelectorAll("input[name=message_type]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        // Add Attachment shows only for a type that allows attachments.
        var types = form.querySelector("[data-no-attachments]");
        var attachmentsBlock = form.querySelector("[data-compose-attachments]");
        if (types && attachmentsBlock) {
          attachmentsBlock.hidden = types.getAttribute("data-no-attachments").split(" ").indexOf(radio.value) >= 0;
        }
        var patient = form.querySelector("input[name=patient]").value;
        fetch("/api/v1/recipients?type=" + encodeURIComponent(radio.value) + "&patient=" + encodeURIComponent(patient),
          { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (list) {
            all = list.map(function (r) { return { value: r.kind + ":" + r.id.toUpperCase(), label: r.name + (r.detail ? " – " + r.detail : "") }; });
            filter.value = "";
            show(all, "Select a recipient");
          });
      });
    });
  }

  // ---- A warning before the session times out ------------------------------------------------------------
  // The page says how long the session is sure to last after a request, and how long before that to warn. Any request
  // that reaches the server signed in (an autosave, Stay signed in) starts the count again.

  var sessionTouched = function () {};
  var sessionSeconds = Number(document.body.dataset.sessionSeconds);
  var warningSeconds = Number(document.body.dataset.sessionWarning);
  var csrfInput = document.querySelector("input[name=csrf_token]");
  if (sessionSeconds > 0 && csrfInput && typeof HTMLDialogElement === "function") {
    var warningTimer = null, endTimer = null, dialog = null, signedOut = false;
    var writing = document.querySelector("form[data-autosave]");

    var show = function (title, text, buttonLabel) {
      if (!dialog) {
        dialog = document.createElement("dialog");
        dialog.className = "session-warning";
        dialog.setAttribute("role", "alertdialog");
        dialog.setAttribute("aria-labelledby", "session-warning-title");
        dialog.setAttribute("aria-describedby", "session-warning-text");
        dialog.innerHTML = '<h2 id="session-warning-title"></h2><p id="session-warning-text"></p>' +
          '<button type="button" class="primary"></button>';
        dialog.querySelector("button").addEventListener("click", act);
        // Escape means the person is here: the same as the button.
        dialog.addEventListener("cancel", function (e) { e.preventDefault(); act(); });
        document.body.appendChild(dialog);
      }
      dialog.querySelector("h2").textContent = title;
      dialog.querySelector("p").textContent = text;
      dialog.querySelector("button").textContent = buttonLabel;
      if (!dialog.open) dialog.showModal();
      dialog.querySelector("button").focus();
    };
    var warn = function () {
      var minutes = Math.round(warningSeconds / 60);
      show("Stay signed in?", "For your security, you will be signed out in " +
        (minutes > 1 ? minutes + " minutes" : warningSeconds + " seconds") + " unless you stay signed in.",
        "Stay signed in");
    };
    var ended = function () {
      signedOut = true;
      if (writing) {
        show("You have been signed out",
          "What you typed is still on this page. Select Send or Close and sign in again to keep it.", "OK");
      } else {
        show("You have been signed out", "Sign in again to continue.", "Sign in");
      }
    };
    var act = function () {
      if (signedOut) {
        // Reloading a page whose session has ended leads to signing in, then back here.
        if (writing) dialog.close(); else location.reload();
        return;
      }
      fetch("/session/keep-alive", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrfInput.value },
      }).then(function (response) {
        if (response.status !== 204) { ended(); return; }
        dialog.close();
        sessionTouched();
      }).catch(function () { /* offline: the warning stays up */ });
    };
    sessionTouched = function () {
      clearTimeout(warningTimer); clearTimeout(endTimer);
      warningTimer = setTimeout(warn, Math.max(0, sessionSeconds - warningSeconds) * 1000);
      endTimer = setTimeout(ended, sessionSeconds * 1000);
    };
    sessionTouched();
  }

  // ---- Drafts save themselves -----------------------------------------------------------------------------

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var state = form.querySelector(".save-state");
    var idField = form.querySelector("input[name=draft_id]");
    var versionField = form.querySelector("input[name=draft_version]");
    var csrf = form.querySelector("input[name=csrf_token]").value;
    var timer = null, dirty = false, saving = null, submitting = false;

    function payload() {
      var data = {};
      var json = form.querySelector("input[name=body_json]");
      var text = form.querySelector("textarea[name=body_text]");
      var doc = json && json.value ? safeParse(json.value) : null;
      data.body = doc || (text ? text.value : "");
      if (form.dataset.autosave === "reply") {
        data.conversationId = form.dataset.conversation;
        return data;
      }
      var patient = form.querySelector("input[name=patient]");
      if (patient && patient.value) data.patientId = patient.value;
      var type = form.querySelector("input[name=message_type]:checked");
      if (type) data.messageTypeId = type.value;
      var recipient = form.querySelector("select[name=recipient]");
      if (recipient && recipient.value) {
        var parts = recipient.value.split(":");
        data.recipient = { kind: parts[0], id: parts[1] };
      }
      var subject = form.querySelector("input[name=subject]");
      if (subject) data.subject = subject.value;
      var confidential = form.querySelector("input[name=confidential]");
      if (confidential) data.confidential = confidential.checked;
      return data;
    }

    // A draft changed in another window cannot be saved from here until the page is reloaded: that message stays,
    // and no later "Saving…" or "Saved" takes its place.
    var conflicted = false;
    function say(text) { if (state && !conflicted) state.textContent = text; }

    function save(keepalive) {
      if (!dirty || submitting || conflicted) return Promise.resolve();
      dirty = false;
      var id = idField.value;
      var headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
      if (id) headers["If-Match"] = '"' + versionField.value + '"';
      say("Saving…");
      saving = fetch(id ? "/api/v1/drafts/" + id : "/api/v1/drafts", {
        method: id ? "PUT" : "POST", credentials: "same-origin", headers: headers, keepalive: !!keepalive,
        body: JSON.stringify(payload()),
      }).then(function (response) {
        if (response.status === 204) { idField.value = ""; versionField.value = ""; say(""); return; }
        if (response.status === 409) {
          say("This draft was changed in another window. Reload to see it.");
          conflicted = true;
          return;
        }
        if (!response.ok) { say("Not saved yet"); return; }
        return response.json().then(function (draft) {
          idField.value = draft.id; versionField.value = draft.version; say("Saved"); sessionTouched();
        });
      }).catch(function () { say("Not saved yet"); });
      return saving;
    }

    // Choosing a file is not writing: it is uploaded on its own (below), and must not start an autosave of its own.
    var isFileChoice = function (event) { return event.target.type === "file"; };
    form.addEventListener("input", function (event) {
      if (isFileChoice(event)) return;
      dirty = true; say("");
      clearTimeout(timer);
      timer = setTimeout(function () { save(false); }, 1000);
    });
    form.addEventListener("change", function (event) {
      if (isFileChoice(event)) return;
      dirty = true; clearTimeout(timer); timer = setTimeout(function () { save(false); }, 1000);
    });
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (saving && !submitting) {
        // Let an autosave in flight finish so the form posts the draft's current version.
        event.preventDefault();
        var submitter = event.submitter;
        saving.then(function () {
          submitting = true;
          if (submitter) { var hidden = document.createElement("input"); hidden.type = "hidden"; hidden.name = submitter.name; hidden.value = submitter.value; form.appendChild(hidden); }
          form.submit();
        });
        saving = null;
        return;
      }
      submitting = true;
    });
    // Add Attachment: upload at once into the draft, with a progress bar.
    var fileInput = form.querySelector("input[data-attachment-upload]");
    if (fileInput) {
      var progress = form.querySelector(".upload-progress");
      var list = form.querySelector(".attachment-list");
      // Why a file was refused stays in its own place until the attachment changes; autosave's status never covers it.
      var fileError = form.querySelector(".attachment-error");
      var refuse = function (text) {
        fileError.textContent = text;
        if (text) fileInput.setAttribute("aria-invalid", "true"); else fileInput.removeAttribute("aria-invalid");
      };
      fileInput.addEventListener("change", function () {
        var file = fileInput.files[0];
        if (!file) return;
        refuse("");
        clearTimeout(timer);
        // Save what was written first (nothing, if nothing was), so the file goes into the draft as it stands.
        (saving || Promise.resolve()).then(function () { return save(false); }).then(function () {
          if (!idField.value) {
            // Nothing written yet, so no draft: let the server keep one for the file (no progress bar then).
            var hidden = document.createElement("input");
            hidden.type = "hidden"; hidden.name = "action"; hidden.value = "attach";
            form.appendChild(hidden); submitting = true; form.submit();
            return;
          }
          upload(file);
        });
      });
      function upload(file) {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", "/api/v1/drafts/" + idField.value + "/attachments?filename=" + encodeURIComponent(file.name));
        xhr.setRequestHeader("X-CSRF-Token", csrf);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        progress.hidden = false; progress.value = 0;
        xhr.upload.onprogress = function (e) { if (e.lengthComputable) progress.value = Math.round(e.loaded * 100 / e.total); };
        xhr.onload = function () {
          progress.hidden = true;
          fileInput.value = "";
          var answer = safeParse(xhr.responseText) || {};
          if (xhr.status !== 201) { refuse(answer.detail || "The file could not be attached."); return; }
          var item = document.createElement("li"); item.className = "attachment";
          var link = document.createElement("a"); link.href = answer.downloadUrl; link.textContent = answer.filename;
          var meta = document.createElement("span"); meta.className = "attachment-meta";
          meta.textContent = " " + Math.max(1, Math.round(answer.size / 1000)) + " KB";
          var remove = document.createElement("button"); remove.type = "submit"; remove.name = "remove_attachment";
          remove.value = answer.id; remove.textContent = "Remove"; remove.setAttribute("aria-label", "Remove " + answer.filename);
          item.appendChild(link); item.appendChild(meta);
          if (answer.locationRemoved) {
            var note = document.createElement("span"); note.className = "attachment-note";
            note.textContent = " Location removed: where this photo was taken is no longer in the file.";
            item.appendChild(note);
          }
          item.appendChild(remove);
          list.appendChild(item);
          say("Attached " + answer.filename + (answer.locationRemoved ? ". Where the photo was taken was removed from it." : ""));
          sessionTouched();
        };
        xhr.onerror = function () { progress.hidden = true; refuse("The file could not be attached."); };
        xhr.send(file);
      }
    }

    // Leaving the page (a link, the back button, closing the tab) keeps what was written.
    window.addEventListener("pagehide", function () { if (dirty) save(true); });
  });

  // ---- Live updates: the Messages badge, the open conversation and the In Basket follow without a reload ------
  // /events (Server-Sent Events) says only what changed, in ids and numbers. What to show is fetched through the page's
  // own address, so the same access checks and audit apply, as a background request that does not keep an idle
  // session alive. A hidden tab fetches when it is shown again: a message is marked read only when it can be seen.
  (function () {
    if (typeof EventSource !== "function" || typeof DOMParser !== "function") return;
    if (!(Number(document.body.dataset.sessionSeconds) > 0)) return;
    var nav = document.querySelector("a.nav-messages");
    var timeline = document.querySelector("ol.timeline[data-live-conversation]");
    var basket = document.querySelector("[data-live-in-basket]");
    if (!nav && !timeline && !basket) return;

    var status = document.createElement("p");
    status.className = "visually-hidden live-status";
    status.setAttribute("role", "status");
    document.body.appendChild(status);

    function setBadge(count) {
      if (!nav) return;
      var label = nav.dataset.label || "Messages";
      nav.textContent = label;
      if (count > 0) {
        var badge = document.createElement("span");
        badge.className = "badge";
        badge.setAttribute("aria-hidden", "true");
        badge.textContent = String(count);
        nav.appendChild(document.createTextNode(" "));
        nav.appendChild(badge);
      }
      nav.setAttribute("aria-label", count > 0 ? label + ", " + count + " unread" : label);
    }

    // One background fetch at a time per view; changes that arrive meanwhile are fetched once after it.
    function refresher(apply) {
      var busy = false, again = false, waiting = false;
      function run() {
        if (document.hidden) {
          if (!waiting) {
            waiting = true;
            document.addEventListener("visibilitychange", function shown() {
              if (document.hidden) return;
              document.removeEventListener("visibilitychange", shown);
              waiting = false;
              run();
            });
          }
          return;
        }
        if (busy) { again = true; return; }
        busy = true;
        fetch(location.pathname + location.search, { credentials: "same-origin", headers: { "X-Carebox-Background": "1" } })
          .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
          .then(function (html) { if (html) apply(new DOMParser().parseFromString(html, "text/html")); })
          .catch(function () { /* offline: the next change tries again */ })
          .then(function () {
            busy = false;
            if (again) { again = false; run(); }
          });
      }
      return run;
    }

    function replaceChildren(target, source) {
      while (target.firstChild) target.removeChild(target.firstChild);
      Array.prototype.forEach.call(source.childNodes, function (node) {
        target.appendChild(document.importNode(node, true));
      });
    }

    var refreshConversation = timeline && refresher(function (page) {
      var fresh = page.querySelector("ol.timeline[data-live-conversation]");
      if (!fresh || fresh.dataset.liveConversation !== timeline.dataset.liveConversation) return;
      var before = timeline.querySelectorAll("li.message").length;
      replaceChildren(timeline, fresh);
      timeline.dataset.liveSeq = fresh.dataset.liveSeq;
      var receipt = document.querySelector(".read-receipt"), freshReceipt = page.querySelector(".read-receipt");
      if (receipt && freshReceipt) receipt.textContent = freshReceipt.textContent;
      var added = timeline.querySelectorAll("li.message").length - before;
      if (added > 0) status.textContent = added === 1 ? "A new message arrived." : added + " new messages arrived.";
    });

    var refreshBasket = basket && refresher(function (page) {
      var fresh = page.querySelector("[data-live-in-basket]");
      if (!fresh) return;
      // Only the table is replaced (focus may be in the filters); the filters' counts are updated in place.
      if (!basket.contains(document.activeElement)) replaceChildren(basket, fresh);
      var counts = document.querySelectorAll("nav.filters .count");
      var freshCounts = page.querySelectorAll("nav.filters .count");
      if (counts.length === freshCounts.length) {
        Array.prototype.forEach.call(counts, function (count, i) { count.textContent = freshCounts[i].textContent; });
      }
    });

    var query = "";
    if (timeline) {
      query = "?conversation=" + encodeURIComponent(timeline.dataset.liveConversation) +
        "&seq=" + encodeURIComponent(timeline.dataset.liveSeq);
    } else if (basket) {
      query = "?view=in-basket";
    }
    var source = new EventSource("/events" + query);
    function data(event) { return safeParse(event.data) || {}; }
    source.addEventListener("unread", function (event) {
      var unread = data(event).unread;
      if (typeof unread === "number") setBadge(unread);
    });
    source.addEventListener("message", function (event) {
      var seq = data(event).seq;
      if (refreshConversation && typeof seq === "number" && seq > Number(timeline.dataset.liveSeq)) refreshConversation();
    });
    source.addEventListener("inbasket", function () { if (refreshBasket) refreshBasket(); });
    // The server ended the stream (signed out, timed out, another tab took its place): stop, do not reconnect.
    source.addEventListener("end", function () { source.close(); });
    window.addEventListener("pagehide", function () { source.close(); });
  })();
})();
