// Execution inspection: recent runs, and each run's path on the state machine's graph and its
// timeline, read from the local API. On AWS the same information is in the state machine's
// CloudWatch log group and the Step Functions console.
"use strict";

const PROMPT_SHOWN = 60;

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function duration(ms) {
  if (ms === null || ms === undefined) return "running";
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function shortened(text, length = PROMPT_SHOWN) {
  if (!text) return "";
  return text.length > length ? `${text.slice(0, length - 1).trimEnd()}…` : text;
}

function outcomeBadge(outcome) {
  return el("span", { class: `badge badge-${String(outcome).toLowerCase()}`, text: outcome });
}

// The state that decided the answer, and for a rejection which check it was.
function stageText(item) {
  if (item.stage && item.decided_by) return `${item.stage} (${item.decided_by})`;
  return item.stage || item.decided_by || item.error || "";
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
    el("tr", { "data-execution": item.id },
      el("td", {}, el("time", { datetime: item.started, text: when(item.started) })),
      el("td", { class: "prompt-cell", title: item.prompt || "", text: shortened(item.prompt) }),
      el("td", {}, outcomeBadge(item.outcome)),
      el("td", { text: stageText(item) }),
      el("td", { text: duration(item.duration_ms) }),
      el("td", {}, el("a", {
        href: `#${item.id}`,
        "aria-label": `Details of “${shortened(item.prompt, 30)}”, started ${when(item.started)}`,
        text: "Details",
      })),
    ));
  $("executions-body").replaceChildren(...rows);
  $("executions-table").hidden = executions.length === 0;
  markChosen(location.hash.slice(1));
}

function markChosen(id) {
  for (const row of $("executions-body").rows) {
    if (row.dataset.execution === id) row.setAttribute("aria-current", "true");
    else row.removeAttribute("aria-current");
  }
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

// Why an execution that SUCCEEDED did not answer APPROVED: its answer is not a failure.
const WHY_SUCCEEDED = {
  REJECTED: "A rejection is an answer, not a failure: the workflow ran to its end and refused the request, so the execution succeeded.",
  BUSY: "Busy is an answer, not a failure: the workflow refused the request for lack of room and said when to come back, so the execution succeeded.",
  CONFLICT: "A conflict is an answer, not a failure: the Idempotency-Key already belonged to another request or run, so the execution succeeded without generating.",
  HANDED_OVER: "This job's turn could not come within this execution, so it handed over to the job's next run; the execution succeeded.",
};

function statusNote(run) {
  if (run.status !== "SUCCEEDED" || run.outcome === "APPROVED") return "";
  return WHY_SUCCEEDED[run.outcome] ||
    `The execution succeeded and its answer is ${run.outcome}: the workflow gave an answer rather than failing.`;
}

// --- the graph: the diagram `make diagram` draws from the ASL, with the run's path on it ---------

let diagram;

// The SVG, parsed once, or null when there is none (the deployed API has no such route).
function loadDiagram() {
  diagram ??= fetch("api/workflow.svg")
    .then((response) => (response.ok ? response.text() : null))
    .then((text) => {
      if (!text) return null;
      const svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
      return svg.nodeName === "svg" ? svg : null;
    })
    .catch(() => null);
  return diagram;
}

function titleOf(group) {
  const title = group.querySelector(":scope > title");
  return title ? title.textContent : "";
}

// Graphviz names a node by its state's name and an edge "Source->Target". A run's steps are the
// pairs of states it entered one after the other; a spine edge (the design card's path drawn
// through grey states) is on the path when the run went from one end to the other through grey
// states only.
function pathSteps(names, emphasised) {
  const steps = new Set();
  for (let i = 0; i + 1 < names.length; i += 1) steps.add(`${names[i]}->${names[i + 1]}`);
  const spine = new Set();
  const card = names.map((name, index) => [name, index]).filter(([name]) => emphasised.has(name));
  for (let i = 0; i + 1 < card.length; i += 1) spine.add(`${card[i][0]}->${card[i + 1][0]}`);
  return { steps, spine };
}

function drawPath(template, run) {
  const svg = document.importNode(template, true);
  const names = run.states.map((state) => state.name);
  const nodes = [...svg.querySelectorAll("g.node")];
  const emphasised = new Set(nodes.filter((node) => node.classList.contains("emphasised")).map(titleOf));
  const { steps, spine } = pathSteps(names, emphasised);
  const errored = new Set(run.states.filter((state) => state.errors && state.errors.length).map((state) => state.name));
  for (const node of nodes) {
    const name = titleOf(node);
    if (!names.includes(name)) continue;
    node.classList.add("on-path");
    node.dataset.state = name;
    if (errored.has(name)) node.classList.add("had-error");
    if (name === run.decided_by) node.classList.add("decided", `decided-${String(run.outcome).toLowerCase()}`);
  }
  for (const edge of svg.querySelectorAll("g.edge")) {
    const step = titleOf(edge);
    if (edge.classList.contains("spine") ? spine.has(step) : steps.has(step)) edge.classList.add("on-path");
  }
  // Zoomed in, a point of the drawing is a pixel: its bold names read at 14 px.
  const [, , width, height] = (svg.getAttribute("viewBox") || "").split(/\s+/).map(Number);
  if (width && height) {
    svg.setAttribute("width", String(Math.round(width)));
    svg.setAttribute("height", String(Math.round(height)));
  }
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `The state machine's graph, with this run's path: ${names.join(", then ")}.`);
  return svg;
}

async function showGraph(run) {
  const template = await loadDiagram();
  $("graph-section").hidden = !template;
  if (!template) return;
  $("graph").replaceChildren(drawPath(template, run));
  setZoom(false);
}

function setZoom(zoomed) {
  $("graph").classList.toggle("zoomed", zoomed);
  $("zoom-button").setAttribute("aria-pressed", String(zoomed));
  $("zoom-button").textContent = zoomed ? "Fit to width" : "Zoom in";
  const decided = $("graph").querySelector(".decided") || $("graph").querySelector(".on-path");
  if (zoomed && decided) {
    // Bring the state that decided the answer to the middle of the zoomed graph.
    const box = decided.getBoundingClientRect();
    const frame = $("graph").getBoundingClientRect();
    $("graph").scrollLeft += box.left - frame.left - frame.width / 2 + box.width / 2;
    $("graph").scrollTop += box.top - frame.top - frame.height / 2 + box.height / 2;
  }
}

async function showDetail(id) {
  markChosen(id);
  if (!id) {
    $("detail").hidden = true;
    return;
  }
  const answer = await getJson(`api/executions/${encodeURIComponent(id)}`);
  $("detail").hidden = false;
  if (answer.status !== 200) {
    $("detail-heading").textContent = "Execution";
    $("detail-summary").replaceChildren(el("p", { text: answer.data.message || "This execution was not found." }));
    $("status-note").hidden = true;
    $("graph-section").hidden = true;
    $("timeline").replaceChildren();
    return;
  }
  const run = answer.data;
  $("detail-heading").textContent = run.prompt ? `Execution: “${shortened(run.prompt)}”` : "Execution";
  const facts = [
    ["Execution", run.id],
    ["Prompt", run.prompt || ""],
    ["Started", when(run.started)],
    ["Status", run.status],
    ["Outcome", run.outcome],
    ["HTTP answer", run.http_status ?? ""],
    ["Stage", run.stage || ""],
    ["Decided by", run.decided_by || ""],
    ["Reason", run.reason_code || run.error || ""],
    ["Duration", duration(run.duration_ms)],
  ];
  $("detail-summary").replaceChildren(
    ...facts.filter(([, value]) => value !== "").map(([term, value]) =>
      el("div", { class: { Prompt: "fact fact-wide", Execution: "fact fact-id" }[term] || "fact" }, el("dt", { text: term }), el("dd", { text: String(value) }))),
  );
  const note = statusNote(run);
  $("status-note").textContent = note;
  $("status-note").hidden = !note;
  $("timeline").replaceChildren(...run.states.map(stateItem));
  await showGraph(run);
  // The chosen run's detail comes into view, whatever the length of the list above it.
  $("detail").scrollIntoView({ block: "start" });
  $("detail-heading").focus({ preventScroll: true });
}

document.addEventListener("DOMContentLoaded", async () => {
  $("refresh-button").addEventListener("click", loadList);
  $("zoom-button").addEventListener("click", () => setZoom(!$("graph").classList.contains("zoomed")));
  window.addEventListener("hashchange", () => showDetail(location.hash.slice(1)));
  await loadList();
  await showDetail(location.hash.slice(1));
});
