//! Examples shown under each subcommand's `--help`.

pub const DEMO: &str = "\
Examples:
  authcloud demo                          # the whole flow; the simulated phone approves after 3 s
  authcloud demo --approve-after never    # open the printed deep link and press Approve yourself
  authcloud demo --json | jq .userId      # the same, as one JSON document";

pub const ENROLL: &str = "\
Examples:
  authcloud enroll --username u12345 --qr-png qr.png
  TOKEN=$(authcloud enroll --username u12345 --quiet)          # only the status token
  authcloud enroll --user-id 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa --json
  authcloud enroll --username u12345 --channel sms --phone +41791234567 --sms-message 'Your code: {{CODE}}'";

pub const STATUS: &str = "\
Examples:
  authcloud status \"$TOKEN\"
  echo \"$TOKEN\" | authcloud status - --json                    # the token from stdin";

pub const WAIT: &str = "\
Examples:
  authcloud wait \"$TOKEN\" && echo confirmed                    # exit 0 on succeeded, 3 otherwise
  authcloud wait \"$TOKEN\" --interval 2s --timeout 3m --quiet";

pub const VERIFY: &str = "\
Examples:
  authcloud verify \"$TOKEN\" --expect-user-id \"$USER_ID\"       # exit 6 when not verified
  USER=$(authcloud verify \"$TOKEN\" --expect-transaction-id \"$TX\" --quiet)";

pub const INTROSPECT: &str = "\
Examples:
  authcloud introspect \"$TRANSACTION_TOKEN\" --json
  authcloud introspect - --quiet < token.txt                  # prints active or inactive";

pub const INTENT: &str = "\
Examples:
  authcloud intent --username u12345 --operation enroll --channel app --quiet";

pub const EMULATOR: &str = "\
Examples:
  AUTHCLOUD_ACCESS_KEY=test-key authcloud emulator --port 8080
  authcloud emulator --access-key test-key --auto-approve-after 2s --transaction-ttl 30s";

pub const COMPLETIONS: &str = "\
Examples:
  authcloud completions bash > ~/.local/share/bash-completion/completions/authcloud
  authcloud completions zsh > \"${fpath[1]}/_authcloud\"
  authcloud completions fish > ~/.config/fish/completions/authcloud.fish";

pub const APPROVE: &str = "\
Examples:
  authcloud approve --username u12345 --message '<html>Log in to <b>Acme</b>?</html>'
  authcloud approve --user-id \"$USER_ID\" --notification 'Acme login' --quiet   # prints the user id
  authcloud approve --username u12345 --channel app        # shows a QR code / deep link
  authcloud approve --username u12345 --channel app --any-authenticator
  authcloud approve --usernameless                         # whoever scans the QR code
  authcloud approve --username u12345 --channel sms        # then type the code from the SMS
  TOKEN=$(authcloud approve --username u12345 --no-wait --quiet); authcloud wait \"$TOKEN\"";

pub const USERS: &str = "\
Examples:
  authcloud users find u12345 --json
  authcloud users get 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa
  authcloud users delete 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa";

pub const AUTHENTICATORS: &str = "\
Examples:
  authcloud authenticators rename \"$AUTHENTICATOR_ID\" \"Anna's phone\"
  authcloud authenticators delete \"$AUTHENTICATOR_ID\"      # a lost phone";

pub const LOGS: &str = "\
Examples:
  authcloud logs export --since 1d --channel sms --status failure > failed-sms.csv
  authcloud logs export --filter u12345 --from 2026-12-01 --json";

pub const PING: &str = "\
Examples:
  authcloud ping --instance acme && echo reachable";

pub const RECOVERY_CODES: &str = "\
Examples:
  authcloud recovery-codes --username u12345
  authcloud recovery-codes --user-id 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa --json";

pub const VERIFY_CODE: &str = "\
Examples:
  authcloud verify-code 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa --channel recovery --code-stdin
  authcloud verify-code 7e16ba00-92e2-4fcb-b30e-1af8fdc843aa --channel sms --status-token - --code 123456";
