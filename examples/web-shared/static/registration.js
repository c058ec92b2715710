// The registration page's behaviour: poll the status from the browser (the guide's 1.5 s
// loop, through @authcloud/status-poller), then ask this site's backend to verify.
// No secret is logged; the status token stays in the page and the backend's session.
import { pollStatus } from "/static/authcloud-poller.js";

const page = document.getElementById("registration");
const status = document.getElementById("status");
const startedAt = performance.now();

const HEADINGS = {
  registered: "Registered",
  declined: "Not registered",
  expired: "Not registered",
  unknown: "Not registered",
  error: "Not registered",
};

function show(state, text) {
  status.dataset.state = state;
  status.textContent = text;
  if (state in HEADINGS) {
    // Final: the QR code and the link are spent; say how it ended instead.
    document.getElementById("heading").textContent = HEADINGS[state];
    document.getElementById("to-confirm").classList.add("hidden");
  }
}

async function verify(statusToken) {
  show("verifying", "Confirmed on the phone — verifying…");
  const response = await fetch("/verify", {
    method: "POST",
    headers: { "Accept": "application/json" },
    body: new URLSearchParams({ statusToken }),
    credentials: "same-origin",
  });
  let result = {};
  try {
    result = await response.json();
  } catch {
    // An answer that is not JSON: reported below by its HTTP status.
  }
  if (response.ok && result.registered) {
    show("registered", `Registered: your phone is linked to user ${result.userId}.`);
  } else {
    show("error", result.message || `The registration could not be verified (HTTP ${response.status}).`);
  }
}

function failedText() {
  const expiresIn = Number(page.dataset.expiresInMs || "0");
  const elapsed = performance.now() - startedAt;
  if (expiresIn > 0 && elapsed >= expiresIn - 1000) {
    return ["expired", "The registration expired before it was confirmed. Start again to get a new QR code."];
  }
  if (expiresIn > 0) {
    return ["declined", "The registration was declined on the phone. Start again if that was a mistake."];
  }
  return ["declined", "The registration was declined on the phone, or it expired. Start again to retry."];
}

async function main() {
  const statusToken = page.dataset.statusToken;
  const outcome = await pollStatus({
    baseUrl: page.dataset.baseUrl,
    statusToken,
    intervalMs: Number(page.dataset.pollIntervalMs || "1500"),
    onStatus: (answer) => {
      if (answer.status === "pending") show("pending", "Waiting for you to confirm on your phone…");
    },
  });
  if (outcome.kind === "final") {
    switch (outcome.answer.status) {
      case "succeeded":
        return verify(statusToken);
      case "failed":
        return show(...failedText());
      case "unknown":
        return show("unknown", "The Authentication Cloud does not know this registration (any more). Start again.");
      default:
        return show("error", `The registration ended with status "${outcome.answer.status}". Start again.`);
    }
  }
  if (outcome.kind === "timeout") return show("expired", "Stopped waiting: the registration took too long. Start again.");
  if (outcome.kind === "rejected") return show("error", `The status check was refused (HTTP ${outcome.httpStatus}). Start again.`);
}

main().catch(() => show("error", "Something went wrong while checking the registration. Start again."));
