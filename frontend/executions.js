// Execution inspection: recent runs and each run's timeline, read from the local API.
// On AWS the same information is in the state machine's CloudWatch log group.
"use strict";

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function duration(ms) {
  if (ms === null || ms === undefined) return "running";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function outcomeBadge(outcome) {
  return el("span", { class: `badge badge-${String(outcome).toLowerCase()}`, text: outcome });
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const data = await response.json().catch(() => ({}));
  return { status: response.status, data };
}

async function loadList() {
  $("list-status").textContent = "Loading executions…";
  let answer;
  try {
    answer = await getJson("api/executions?limit=50");
  } catch {
    $("list-status").textContent = "The API could not be reached. Is `make local` running?";
    return;
  }
  if (answer.status !== 200) {
    $("list-status").textContent =
      "Execution inspection is part of the local stack (make local). On AWS, read the state machine's " +
      "CloudWatch log group (level ALL, with execution data) in the console.";
    return;
  }
  const executions = answer.data.executions || [];
  $("list-status").textContent = executions.length
    ? `${executions.length} recent execution${executions.length === 1 ? "" : "s"}.`
    : "No executions yet. Generate an image first.";
  const rows = executions.map((item) =>
    el("tr", {},
      el("td", {}, el("time", { datetime: item.started, text: when(item.started) })),
      el("td", {}, outcomeBadge(item.outcome)),
      el("td", { text: item.stage || item.error || "" }),
      el("td", { text: duration(item.duration_ms) }),
      el("td", {}, el("a", { href: `#${item.id}`, "aria-label": `Details of the run started ${when(item.started)}`, text: "Details" })),
    ));
  $("executions-body").replaceChildren(...rows);
  $("executions-table").hidden = executions.length === 0;
}

function jsonBlock(title, value) {
  return el("details", {},
    el("summary", { text: title }),
    el("pre", { tabindex: "0" }, el("code", { text: JSON.stringify(value, null, 2) })));
}

function stateItem(state) {
  const facts = [`${state.type}`, duration(state.duration_ms)];
  if (state.attempts) facts.push(`${state.attempts} attempt${state.attempts === 1 ? "" : "s"}`);
  if (state.retries) facts.push(`${state.retries} retr${state.retries === 1 ? "y" : "ies"}`);
  const item = el("li", { class: "state", "data-state": state.name },
    el("p", { class: "state-name" }, el("strong", { text: state.name }), el("span", { class: "state-facts", text: ` · ${facts.join(" · ")}` })));
  if (state.errors && state.errors.length) {
    item.append(el("p", { class: "state-errors", text: `Errors: ${state.errors.join(", ")}` }));
  }
  item.append(jsonBlock("Input", state.input));
  if (state.output !== null && state.output !== undefined) item.append(jsonBlock("Output", state.output));
  return item;
}

async function showDetail(id) {
  if (!id) {
    $("detail").hidden = true;
    return;
  }
  const answer = await getJson(`api/executions/${encodeURIComponent(id)}`);
  $("detail").hidden = false;
  if (answer.status !== 200) {
    $("detail-summary").replaceChildren(el("p", { text: answer.data.message || "This execution was not found." }));
    $("timeline").replaceChildren();
    return;
  }
  const run = answer.data;
  const facts = [
    ["Execution", run.id],
    ["Started", when(run.started)],
    ["Status", run.status],
    ["Outcome", run.outcome],
    ["HTTP answer", run.http_status ?? ""],
    ["Stage", run.stage || ""],
    ["Reason", run.reason_code || run.error || ""],
    ["Duration", duration(run.duration_ms)],
  ];
  $("detail-summary").replaceChildren(
    ...facts.filter(([, value]) => value !== "").flatMap(([term, value]) => [el("dt", { text: term }), el("dd", { text: String(value) })]),
  );
  $("timeline").replaceChildren(...run.states.map(stateItem));
  $("detail-heading").focus();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("refresh-button").addEventListener("click", loadList);
  window.addEventListener("hashchange", () => showDetail(location.hash.slice(1)));
  await loadList();
  await showDetail(location.hash.slice(1));
});
