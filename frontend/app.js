// The generation page. Static: it talks to the API under `api/` on its own origin,
// which is the local API (make local) or API Gateway behind CloudFront.
"use strict";

const MAX_SEED = 4294967295;

// "HARASSMENT_OR_ABUSE" -> "Harassment or abuse"; Rekognition's names are already readable.
function labelName(name) {
  if (name !== name.toUpperCase()) return name;
  const words = name.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function labelList(labels) {
  const list = el("ul", { class: "labels" });
  for (const label of labels) {
    const score = Number(label.score);
    const name = labelName(label.name) + (label.parent ? ` (${label.parent})` : "");
    list.append(
      el("li", { class: "label" },
        el("span", { class: "label-name", text: name }),
        el("meter", { min: "0", max: "1", value: String(score), "aria-hidden": "true" }),
        el("span", { class: "label-score", text: `score ${score.toFixed(2)}` }),
      ),
    );
  }
  return list;
}

// "zh" -> "Chinese", with the browser's own language names; the code if it has none.
function languageName(code) {
  try {
    return new Intl.DisplayNames(["en"], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

// The English text that was checked (and drawn) instead of what was typed, if it was translated.
function translationNote(data) {
  const notes = [];
  // A translator that glosses instead of translating names how in its terminologies.
  const how = (data.translation_terminologies || []).map((name) => name.replaceAll("_", " ")).join(", ");
  const by = how ? ` (${how})` : "";
  if (data.translated_prompt) {
    notes.push(el("p", { class: "translation", text: `Translated from ${languageName(data.prompt_language)}${by}: ${data.translated_prompt}` }));
  }
  if (data.translated_negative_prompt) {
    notes.push(el("p", { class: "translation", text: `Negative prompt translated: ${data.translated_negative_prompt}` }));
  }
  return notes;
}

function readForm() {
  const prompt = $("prompt").value;
  const negative = $("negative_prompt").value;
  const seedText = $("seed").value.trim();
  const problems = [];
  if (!prompt.trim()) problems.push({ field: "prompt", message: "Write a prompt first: what should the image show?" });
  let seed = null;
  if (seedText) {
    seed = Number(seedText);
    if (!/^\d+$/.test(seedText) || seed > MAX_SEED) {
      problems.push({ field: "seed", message: `The seed must be a whole number from 0 to ${MAX_SEED}, or empty.` });
    }
  }
  return { prompt, negative, seed, size: $("size").value, problems };
}

function showProblems(problems) {
  for (const id of ["prompt", "seed"]) {
    $(id).removeAttribute("aria-invalid");
    const old = $(`${id}-error`);
    if (old) old.remove();
  }
  for (const problem of problems) {
    const field = $(problem.field);
    const message = el("p", { id: `${problem.field}-error`, class: "field-error", text: problem.message });
    field.setAttribute("aria-invalid", "true");
    field.insertAdjacentElement("afterend", message);
    field.setAttribute("aria-describedby", `${problem.field}-error ${problem.field}-help`);
  }
  if (problems.length) $(problems[0].field).focus();
  return problems.length === 0;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return {};
  }
}

async function postJson(path, body, extraHeaders = {}) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...extraHeaders },
    body: JSON.stringify(body),
  });
  const data = await readJson(response);
  // A refusal for lack of room says when to come back in its header (429) or body (503).
  const retryAfter = Number(response.headers.get("Retry-After"));
  if (retryAfter > 0 && !(Number(data.retry_after) > 0)) data.retry_after = retryAfter;
  return { status: response.status, data };
}

function setBusy(busy) {
  for (const id of ["check-button", "generate-button"]) $(id).disabled = busy;
  $("generate-form").setAttribute("aria-busy", String(busy));
}

function showPanel(panelId, bodyId, ...children) {
  const panel = $(panelId);
  panel.hidden = false;
  $(bodyId).replaceChildren(...children);
}

// What went wrong, in plain words, and what to do about it.
function failure(status, data) {
  const detail = data.message ? String(data.message) : "";
  if (status === 400) {
    return { title: "The request was not accepted.", message: detail, advice: "Fix the prompt or the options above and try again." };
  }
  if (status === 429 || status === 503) {
    const wait = Number(data.retry_after) > 0 ? `${Number(data.retry_after)} seconds` : "a few seconds";
    return { title: "The service is busy right now.", message: detail, advice: `Nothing was drawn. Wait ${wait} and try again.` };
  }
  if (status === 504) {
    return { title: "The image took too long and was stopped.", message: detail, advice: "Try again, or choose a smaller image size." };
  }
  if (status === 0) {
    return { title: "The service could not be reached.", message: "", advice: "Check your connection, then try again." };
  }
  const code = data.error ? ` (error code ${data.error})` : "";
  return {
    title: `Something went wrong on our side${code}.`,
    message: detail,
    advice: "Nothing was published. Try again in a minute; if it keeps failing, tell the operator the error code.",
  };
}

function errorBlock(problem) {
  const block = el("div", { class: "notice error", role: "alert" }, el("p", { class: "notice-title", text: problem.title }));
  if (problem.message) block.append(el("p", { text: problem.message }));
  block.append(el("p", { class: "advice", text: `What to do: ${problem.advice}` }));
  return block;
}

// What the page shows is about the request just made: a refused one leaves no earlier image under "Result".
function clearResult() {
  $("result").hidden = true;
  $("result-body").replaceChildren();
}

async function checkPrompt() {
  const form = readForm();
  if (!showProblems(form.problems.filter((p) => p.field === "prompt"))) {
    clearResult();
    return;
  }
  setBusy(true);
  showPanel("verdict", "verdict-body", el("p", { role: "status", text: "Checking the prompt…" }));
  $("verdict").dataset.prompt = form.prompt;
  try {
    const body = { prompt: form.prompt };
    if (form.negative) body.negative_prompt = form.negative;
    const { status, data } = await postJson("api/check-toxicity", body);
    if (status !== 200) {
      clearResult();
      showPanel("verdict", "verdict-body", errorBlock(failure(status, data)));
      return;
    }
    const children = translationNote(data);
    if (data.safe) {
      children.push(el("p", { class: "notice ok", text: "This prompt passes the check: it can be used to generate an image." }));
    } else {
      clearResult();
      children.push(
        el("div", { class: "notice rejected" },
          el("p", { class: "notice-title", text: "This prompt would be rejected." }),
          el("p", { text: data.reason || "It did not pass the toxicity check." })),
      );
    }
    if (typeof data.toxicity === "number") {
      children.push(el("p", { text: `Overall toxicity score: ${data.toxicity.toFixed(2)} (0 is harmless, 1 is toxic).` }));
    }
    if (data.labels && data.labels.length) {
      children.push(el("p", { text: "Scores by label:" }), labelList(data.labels));
    }
    showPanel("verdict", "verdict-body", ...children);
  } catch {
    showPanel("verdict", "verdict-body", errorBlock(failure(0, {})));
  } finally {
    setBusy(false);
  }
}

const STAGE_NAMES = { prompt: "the prompt check, before any image was drawn", image: "the image check, after the image was drawn" };

function rejection(data) {
  const stage = STAGE_NAMES[data.stage] || data.stage;
  const advice = data.stage === "image"
    ? "The image was not published. Try rewording the prompt or using another seed."
    : "No image was generated. Reword the prompt and try again.";
  const block = el("div", { class: "notice rejected", "data-stage": data.stage || "" },
    el("p", { class: "notice-title", text: `Rejected by ${stage}.` }),
    el("p", { text: `Why: ${data.reason || "it did not pass moderation."}` }),
    ...translationNote(data));
  if (data.labels && data.labels.length) block.append(el("p", { text: "What was found:" }), labelList(data.labels));
  block.append(el("p", { class: "advice", text: advice }));
  return block;
}

// Set from the local API's /api/local-info: what the local image model's pictures are.
// The deployed API has no such route, so in the cloud this stays empty.
let imageModelNotice = "";

async function loadImageModelNotice() {
  try {
    const response = await fetch("api/local-info");
    if (response.ok) imageModelNotice = (await response.json()).notice || "";
  } catch {
    imageModelNotice = "";
  }
}

function approved(data, prompt) {
  const name = `text2image-${data.seed}.png`;
  const image = el("img", { src: data.image_url, alt: `Generated image: ${prompt}`, width: String(data.width), height: String(data.height) });
  const minutes = Math.round(Number(data.expires_in) / 60);
  return el("figure", { class: "generated" },
    image,
    el("figcaption", {},
      ...translationNote(data),
      el("span", { text: `${data.width} × ${data.height}, seed ${data.seed}. ` }),
      el("a", { href: data.image_url, download: name, class: "download", text: "Download image" }),
      el("span", { class: "help", text: ` The link works for ${minutes} minutes.` })),
    ...(imageModelNotice ? [el("p", { id: "image-model-notice", class: "notice caution", text: imageModelNotice })] : []));
}

// What a job is doing, in words, from GET /api/jobs/{id}.
const JOB_STAGES = {
  queued: (job) => (job.position ? `Waiting for the image model: number ${job.position} in the queue` : "Waiting for the image model"),
  checking_prompt: () => "Checking the prompt",
  generating: () => "Drawing the image",
  moderating: () => "Checking the image",
  storing: () => "Publishing the image",
  done: () => "Done",
};
const POLL_MS = 1000;

function idempotencyKey() {
  // One key per submission: if the request is sent again, the same job answers.
  return window.crypto && crypto.randomUUID ? { "Idempotency-Key": crypto.randomUUID() } : {};
}

// Submits the request as a job and polls it until it ends; `onStage(job)` on every poll.
// Answers like the sync route: { status, data } with the job's HTTP status and body.
async function runJob(body, onStage) {
  const submitted = await postJson("api/jobs", body, idempotencyKey());
  if (submitted.status !== 202) return submitted;
  let job = submitted.data;
  onStage(job);
  while (job.status !== "DONE") {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const response = await fetch(`api/jobs/${encodeURIComponent(submitted.data.job_id)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) return { status: response.status, data: await readJson(response) };
    job = await readJson(response);
    onStage(job);
  }
  return { status: job.http_status, data: job.result || {} };
}

async function generate(event) {
  event.preventDefault();
  const form = readForm();
  if (!showProblems(form.problems)) {
    clearResult();
    return;
  }
  // A verdict on another prompt than the one being drawn would read as this one's.
  if ($("verdict").dataset.prompt !== form.prompt) $("verdict").hidden = true;
  const body = { prompt: form.prompt, size: form.size };
  if (form.negative) body.negative_prompt = form.negative;
  if (form.seed !== null) body.seed = form.seed;

  setBusy(true);
  $("result").hidden = false;
  $("result-body").replaceChildren();
  $("progress").hidden = false;
  const started = Date.now();
  let stage = "Sending the request";
  const tick = () => {
    const seconds = Math.round((Date.now() - started) / 1000);
    $("progress-text").textContent = `${stage}… ${seconds} s`;
  };
  const onStage = (job) => {
    stage = (JOB_STAGES[job.stage] || JOB_STAGES.queued)(job);
    $("progress").dataset.stage = job.stage || "";
    tick();
  };
  tick();
  const timer = setInterval(tick, 1000);
  try {
    const { status, data } = await runJob(body, onStage);
    if (status === 200 && data.status === "APPROVED") showPanel("result", "result-body", approved(data, form.prompt));
    else if (status === 422) showPanel("result", "result-body", rejection(data));
    else showPanel("result", "result-body", errorBlock(failure(status, data)));
  } catch {
    showPanel("result", "result-body", errorBlock(failure(0, {})));
  } finally {
    clearInterval(timer);
    $("progress").hidden = true;
    setBusy(false);
    $("result-heading").focus();
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("generate-form").addEventListener("submit", generate);
  $("check-button").addEventListener("click", checkPrompt);
  loadImageModelNotice();
});
