// Compiled (not run) by test/types.test.js: the published types work for a
// strict browser consumer, and misuse does not compile.
import { PollError, pollStatus } from "../../dist/index.js";
import type { PollOptions, PollOutcome, StatusAnswer } from "../../dist/index.js";

const controller = new AbortController();
const options: PollOptions = {
  baseUrl: "https://acme.mauth.nevis.cloud",
  statusToken: "from-the-backend",
  signal: controller.signal,
  document,
  fetch: window.fetch,
  onStatus: (answer: StatusAnswer) => {
    const status: string = answer.status;
    const user: string | undefined = answer.username;
    void status;
    void user;
  },
  onError: (error: PollError) => {
    const delay: number = error.retryInMs;
    void delay;
  },
  intervalMs: undefined, // allowed even under exactOptionalPropertyTypes
};

async function describe(): Promise<string> {
  const outcome: PollOutcome = await pollStatus(options);
  switch (outcome.kind) {
    case "final":
      return outcome.answer.status === "succeeded" ? "done" : `ended: ${outcome.answer.status}`;
    case "rejected":
      return `HTTP ${outcome.httpStatus}`;
    case "timeout":
    case "aborted":
      return `${outcome.kind} after ${outcome.polls} polls`;
  }
}
void describe;

// @ts-expect-error the transaction token is not part of an answer
const leaked = ({} as StatusAnswer).token;
void leaked;

// @ts-expect-error statusToken is required
void pollStatus({ baseUrl: "https://acme.mauth.nevis.cloud" });

void pollStatus({
  baseUrl: "https://acme.mauth.nevis.cloud",
  statusToken: "t",
  // @ts-expect-error intervalMs is a number
  intervalMs: "1500",
});
