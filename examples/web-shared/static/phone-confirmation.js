// The behaviour of the pages that wait for the phone (registration and login): poll the
// status from the browser (the guide's 1.5 s loop, through @authcloud/status-poller), then
// ask this site's backend to verify. The page's `data-flow` says which of the two it is.
// No secret is logged. The registration page polls the cloud with its status token, as
// the guide does; the login page polls its own backend with an opaque handle (the backend
// keeps the token), so a login for an unknown username looks the same as any other.
// Every request to the backend carries the session's CSRF token.
import { pollStatus } from "/static/authcloud-poller.js";

const page = document.querySelector("[data-flow]");
const status = document.getElementById("status");
const startedAt = performance.now();

// What each flow says; `done` is the state its backend reports on success.
const FLOWS = {
  registration: {
    verifyPath: "/verify",
    done: "registered",
    failedHeading: "Not registered",
    doneHeading: "Registered",
    waiting: "Waiting for you to confirm on your phone…",
    verifying: "Confirmed on the phone — verifying…",
    doneText: () => "Registered: your phone is linked to your account.",
    noun: "registration",
    startAgain: "Start again to get a new QR code.",
  },
  login: {
    verifyPath: "/login/verify",
    done: "logged-in",
    failedHeading: "Not logged in",
    doneHeading: "Logged in",
    waiting: "Waiting for you to approve the login on your phone…",
    verifying: "Approved on the phone — verifying…",
    doneText: (result) => `Logged in as ${result.username}.`,
    noun: "login",
    startAgain: "Log in again to send a new request to your phone.",
  },
};
const flow = FLOWS[page.dataset.flow];
const FINAL_STATES = new Set([flow.done, "declined", "expired", "unknown", "error"]);

function show(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  if (FINAL_STATES.has(state)) {
    // Final: the QR code, the link or the request on the phone are spent; say how it ended.
    document.getElementById("heading").textContent = state === flow.done ? flow.doneHeading : flow.failedHeading;
    document.getElementById("to-confirm").classList.add("hidden");
  }
  if (state === flow.done) {
    for (const offer of document.querySelectorAll("[data-offer-after-success]")) offer.classList.remove("hidden");
  }
}

async function verify() {
  show("verifying", flow.verifying);
  const response = await fetch(flow.verifyPath, {
    method: "POST",
    headers: { "Accept": "application/json" },
    body: new URLSearchParams({ operation: page.dataset.operation, csrf: page.dataset.csrf }),
    credentials: "same-origin",
  });
  let result = {};
  try {
    result = await response.json();
  } catch {
    // An answer that is not JSON: reported below by its HTTP status.
  }
  if (response.ok && result.state === flow.done) {
    show(flow.done, flow.doneText(result));
  } else {
    show("error", result.message || `The ${flow.noun} could not be verified (HTTP ${response.status}).`);
  }
}

function failedText() {
  const expiresIn = Number(page.dataset.expiresInMs || "0");
  const elapsed = performance.now() - startedAt;
  if (expiresIn > 0 && elapsed >= expiresIn - 1000) {
    return ["expired", `The ${flow.noun} expired before it was confirmed. ${flow.startAgain}`];
  }
  if (expiresIn > 0) {
    return ["declined", `The ${flow.noun} was declined on the phone. ${flow.startAgain}`];
  }
  return ["declined", `The ${flow.noun} was declined on the phone, or it expired. ${flow.startAgain}`];
}

async function main() {
  const statusToken = page.dataset.statusToken;
  const outcome = await pollStatus({
    baseUrl: page.dataset.baseUrl,
    statusToken,
    intervalMs: Number(page.dataset.pollIntervalMs || "1500"),
    onStatus: (answer) => {
      if (answer.status === "pending") show("pending", flow.waiting);
    },
  });
  if (outcome.kind === "final") {
    switch (outcome.answer.status) {
      case "succeeded":
        return verify();
      case "failed":
        return show(...failedText());
      case "unknown":
        return show("unknown", `The Authentication Cloud does not know this ${flow.noun} (any more). ${flow.startAgain}`);
      default:
        return show("error", `The ${flow.noun} ended with status "${outcome.answer.status}". ${flow.startAgain}`);
    }
  }
  if (outcome.kind === "timeout") return show("expired", `Stopped waiting: the ${flow.noun} took too long. ${flow.startAgain}`);
  if (outcome.kind === "rejected") return show("error", `The status check was refused (HTTP ${outcome.httpStatus}). ${flow.startAgain}`);
}

main().catch(() => show("error", `Something went wrong while checking the ${flow.noun}. ${flow.startAgain}`));
