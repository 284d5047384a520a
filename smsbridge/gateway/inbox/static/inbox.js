// smsbridge sandbox inbox: live updates (server-sent events) and buttons. No framework.
"use strict";
(function () {
  const page = document.body.dataset.page;
  const live = document.getElementById("live");
  const badge = document.getElementById("chaos-badge");

  async function call(method, url, body) {
    const init = { method: method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
    return data;
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function showChaos(settings) {
    let on = false;
    Object.keys(settings || {}).forEach(function (backend) {
      const values = settings[backend];
      Object.keys(values).forEach(function (key) {
        if (values[key] > 0) on = true;
        const input = document.querySelector('#chaos input[name="' + key + '"][data-backend="' + backend + '"]');
        if (input && document.activeElement !== input) input.value = values[key];
      });
    });
    badge.hidden = !on;
    const form = document.getElementById("chaos");
    if (form) form.classList.toggle("active", on);
  }

  function listen(onEvent) {
    const source = new EventSource("/api/v1/events");
    source.onopen = function () { live.textContent = "live"; live.classList.add("on"); };
    source.onerror = function () { live.textContent = "reconnecting…"; live.classList.remove("on"); };
    ["message", "deleted", "cleared", "reply", "callback", "chaos", "resync"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        const data = event.data ? JSON.parse(event.data) : {};
        if (kind === "chaos") showChaos(data);
        onEvent(kind, data);
      });
    });
  }

  call("GET", "/api/v1/chaos").then(showChaos).catch(function () {});

  if (page === "list") {
    const form = document.getElementById("search");
    const tbody = document.getElementById("rows");
    const count = document.getElementById("count");
    let known = new Set(Array.from(tbody.querySelectorAll("tr.msg")).map(function (tr) { return tr.dataset.id; }));

    async function refresh() {
      const query = new URLSearchParams(new FormData(form));
      Array.from(query.keys()).forEach(function (key) { if (!query.get(key)) query.delete(key); });
      const qs = query.toString();
      history.replaceState(null, "", "/ui" + (qs ? "?" + qs : ""));
      const response = await fetch("/ui/rows" + (qs ? "?" + qs : ""), { headers: { "Accept": "text/html" } });
      if (!response.ok) return;
      tbody.innerHTML = await response.text();
      count.textContent = response.headers.get("X-Count") || "0";
      const now = new Set();
      tbody.querySelectorAll("tr.msg").forEach(function (tr) {
        now.add(tr.dataset.id);
        if (!known.has(tr.dataset.id)) {
          tr.classList.add("fresh");
          setTimeout(function () { tr.classList.remove("fresh"); }, 2500);
        }
      });
      known = now;
    }
    const soon = debounce(refresh, 120);
    form.addEventListener("input", soon);
    form.addEventListener("submit", function (event) { event.preventDefault(); refresh(); });
    tbody.addEventListener("click", function (event) {
      const tr = event.target.closest("tr.msg");
      if (tr && !event.target.closest("a")) location.href = "/ui/messages/" + encodeURIComponent(tr.dataset.id);
    });
    tbody.addEventListener("keydown", function (event) {
      const tr = event.target.closest("tr.msg");
      if (tr && event.key === "Enter") location.href = "/ui/messages/" + encodeURIComponent(tr.dataset.id);
    });
    document.getElementById("clear-all").addEventListener("click", async function () {
      if (!confirm("Delete every message, reply and callback record?")) return;
      await call("DELETE", "/api/v1/messages");
      refresh();
    });
    const chaos = document.getElementById("chaos");
    function chaosValues(zero) {
      const settings = {};
      chaos.querySelectorAll("input[data-backend]").forEach(function (input) {
        const backend = input.dataset.backend;
        settings[backend] = settings[backend] || {};
        settings[backend][input.name] = zero ? 0 : Number(input.value || 0);
      });
      return settings;
    }
    chaos.addEventListener("submit", async function (event) {
      event.preventDefault();
      try { showChaos(await call("PUT", "/api/v1/chaos", chaosValues(false))); }
      catch (error) { alert(error.message); }
    });
    document.getElementById("chaos-off").addEventListener("click", async function () {
      showChaos(await call("PUT", "/api/v1/chaos", chaosValues(true)));
    });
    listen(function (kind) { if (kind !== "chaos" && kind !== "callback") soon(); });
  }

  if (page === "message") {
    const id = document.body.dataset.id;
    const holder = document.getElementById("panel");
    async function refresh() {
      const response = await fetch("/ui/messages/" + encodeURIComponent(id) + "/panel");
      if (response.status === 404) { location.href = "/ui"; return; }
      if (!response.ok) return;
      // Swap only the parts that show state; the buttons and what is typed stay put.
      const fresh = document.createElement("template");
      fresh.innerHTML = await response.text();
      fresh.content.querySelectorAll("[data-live]").forEach(function (node) {
        const old = document.getElementById(node.id);
        if (old) old.replaceWith(node);
      });
    }
    const soon = debounce(refresh, 100);
    holder.addEventListener("click", async function (event) {
      const button = event.target.closest("button");
      if (!button) return;
      const note = document.getElementById("action-result");
      const url = "/api/v1/messages/" + encodeURIComponent(id);
      try {
        if (button.id === "btn-delete") {
          if (!confirm("Delete this message?")) return;
          await call("DELETE", url);
          location.href = "/ui";
          return;
        }
        const action = button.dataset.action;
        if (!action) return;
        let body = {};
        if (action === "fail") {
          const code = document.getElementById("fail-code").value.trim();
          if (code) body.error_code = code;
        }
        if (action === "reply") {
          const input = document.getElementById("reply-text");
          body.text = input.value.trim() || "OK";
          input.value = "";
        }
        await call("POST", url + "/" + action, body);
        note.className = "hint";
        note.textContent = action === "reply" ? "Reply sent to the client's inbound webhook."
          : "Marked " + ({ deliver: "delivered", fail: "failed", expire: "expired" })[action] + ".";
        await refresh();
        setTimeout(refresh, 1200);  // the status callback goes out on the next watch round
      } catch (error) {
        note.className = "hint error";
        note.textContent = error.message;
      }
    });
    listen(function (kind, data) {
      if (kind === "deleted" && data.id === id) { location.href = "/ui"; return; }
      if (kind === "cleared") { location.href = "/ui"; return; }
      if ((kind === "message" && data.id === id) || (kind === "reply" && data.in_reply_to === id) ||
          (kind === "callback" && data.message_id === id) || kind === "resync") soon();
    });
  }
})();
