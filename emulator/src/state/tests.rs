//! Unit tests of the state's transitions, run on a [`State`] directly with explicit times
//! (the HTTP behaviour is tested in `tests/http`).

use std::time::Duration;

use super::transaction::{MIN_SETTLED_RETENTION, settled_retention};
use super::user::{MAX_AUTHENTICATORS, UserStatus};
use super::*;

fn timing(now: SystemTime) -> Timing {
    Timing { now, ttl: Duration::from_secs(60), auto_approve_after: None }
}

#[test]
fn approval_adds_authenticator_and_activates() {
    let mut state = State::default();
    let now = SystemTime::now();
    let target = state.resolve(&UserRef { user_id: None, username: Some("u1".into()) }).expect("resolves");
    let (user_id, tid) = state.begin_enrollment(target, timing(now));
    assert_eq!(state.user(user_id).map(|u| u.status), Some(UserStatus::New));
    assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Succeeded));
    let user = state.user(user_id).expect("user");
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.authenticators.len(), 1);
    assert_eq!(state.decide(tid, false, now), Err(DecideError::NotPending(TransactionStatus::Succeeded)));
}

#[test]
fn expiry_and_auto_approval() {
    let mut state = State::default();
    let now = SystemTime::now();
    let (_, tid) = state.begin_enrollment(Target::New { username: None }, timing(now));
    state.settle(tid, now + Duration::from_secs(61));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Failed));

    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let (_, tid) = state.begin_enrollment(Target::New { username: None }, auto);
    state.settle(tid, now);
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Pending));
    state.settle(tid, now + Duration::from_secs(2));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Succeeded));
}

#[test]
fn resolve_rules() {
    let mut state = State::default();
    let now = SystemTime::now();
    let (a, _) = state.begin_enrollment(Target::New { username: Some("a".into()) }, timing(now));
    let (b, _) = state.begin_enrollment(Target::New { username: None }, timing(now));
    let by_name = UserRef { user_id: None, username: Some("a".into()) };
    assert_eq!(state.resolve(&by_name), Ok(Target::Existing { user_id: a, assign_username: None }));
    let mismatch = UserRef { user_id: Some(b), username: Some("a".into()) };
    assert_eq!(state.resolve(&mismatch), Err(ResolveError::Mismatch));
    let assign = UserRef { user_id: Some(b), username: Some("b".into()) };
    assert_eq!(state.resolve(&assign), Ok(Target::Existing { user_id: b, assign_username: Some("b".into()) }));
    let unknown = UserRef { user_id: Some(Uuid::new_v4()), username: None };
    assert_eq!(state.resolve(&unknown), Err(ResolveError::UnknownUser));
}

/// A user with `count` authenticators enrolled one second apart, starting at `now`.
fn user_with_authenticators(state: &mut State, now: SystemTime, count: u64) -> Uuid {
    let (user_id, _) = state.begin_enrollment(Target::New { username: Some("p".into()) }, timing(now));
    for i in 0..count {
        let target = Target::Existing { user_id, assign_username: None };
        let (_, tid) = state.begin_enrollment(target, timing(now));
        assert_eq!(state.decide(tid, true, now + Duration::from_secs(i)), Ok(TransactionStatus::Succeeded));
    }
    user_id
}

fn request(authenticator: Option<AuthenticatorChoice>) -> ApprovalRequest {
    ApprovalRequest {
        channel: Channel::Push,
        authenticator,
        prompt: false,
        message: None,
        notification_message: None,
        sms: None,
    }
}

#[test]
fn approvals_target_the_newest_authenticator_and_record_logins() {
    let mut state = State::default();
    let now = SystemTime::now();
    let bare = user_with_authenticators(&mut state, now, 0);
    assert_eq!(state.begin_approval(bare, request(None), timing(now)), Err(ApprovalError::NoAuthenticator));
    assert_eq!(state.begin_approval(Uuid::new_v4(), request(None), timing(now)), Err(ApprovalError::UnknownUser));

    let mut state = State::default();
    let user_id = user_with_authenticators(&mut state, now, 2);
    let ids: Vec<Uuid> = state.user(user_id).unwrap().authenticators.iter().map(|a| a.authenticator_id).collect();
    let unknown = Some(AuthenticatorChoice::One(Uuid::new_v4()));
    assert_eq!(state.begin_approval(user_id, request(unknown), timing(now)), Err(ApprovalError::UnknownAuthenticator));

    let tid = state.begin_approval(user_id, request(None), timing(now)).expect("starts");
    let approval = state.transaction(tid).and_then(|t| t.approval.clone()).expect("approval");
    assert_eq!(approval.authenticator, AuthenticatorChoice::One(ids[1]), "the newest");
    assert_eq!(state.pending_approvals(user_id).map(|p| p.len()), Some(1));
    let later = now + Duration::from_secs(5);
    assert_eq!(state.decide(tid, true, later), Ok(TransactionStatus::Succeeded));
    assert_eq!(state.user(user_id).unwrap().last_login_success, Some(later));
    assert_eq!(state.pending_approvals(user_id).map(|p| p.len()), Some(0));

    let tid = state.begin_approval(user_id, request(Some(AuthenticatorChoice::One(ids[0]))), timing(now)).unwrap();
    assert_eq!(state.decide(tid, false, later), Ok(TransactionStatus::Failed));
    let user = state.user(user_id).unwrap();
    assert_eq!(user.last_login_failure, Some(later));
    assert_eq!(user.authenticators.len(), 2, "approvals add no authenticator");
}

#[test]
fn deleting_authenticators_fails_their_pending_approvals() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_authenticators(&mut state, now, 2);
    let ids: Vec<Uuid> = state.user(user_id).unwrap().authenticators.iter().map(|a| a.authenticator_id).collect();
    let on_first = state.begin_approval(user_id, request(Some(AuthenticatorChoice::One(ids[0]))), timing(now)).unwrap();
    let on_newest = state.begin_approval(user_id, request(None), timing(now)).unwrap();
    let any = ApprovalRequest { channel: Channel::App, ..request(Some(AuthenticatorChoice::Any)) };
    let on_any = state.begin_approval(user_id, any, timing(now)).unwrap();

    assert!(state.delete_authenticator(ids[0], now));
    assert!(!state.delete_authenticator(ids[0], now));
    let status = |state: &State, tid| state.transaction(tid).map(|t| t.status);
    assert_eq!(status(&state, on_first), Some(TransactionStatus::Failed));
    assert_eq!(status(&state, on_newest), Some(TransactionStatus::Pending));
    assert_eq!(status(&state, on_any), Some(TransactionStatus::Pending));
    assert_eq!(state.user(user_id).unwrap().status, UserStatus::Active);
    assert_eq!(state.user(user_id).unwrap().last_login_failure, None, "not a decline");

    assert!(state.delete_authenticator(ids[1], now));
    assert_eq!(status(&state, on_newest), Some(TransactionStatus::Failed));
    assert_eq!(status(&state, on_any), Some(TransactionStatus::Failed));
    assert_eq!(state.user(user_id).unwrap().status, UserStatus::New);
}

#[test]
fn a_due_auto_approval_survives_a_later_deletion() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_authenticators(&mut state, now, 1);
    let id = state.user(user_id).unwrap().authenticators[0].authenticator_id;
    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let tid = state.begin_approval(user_id, request(None), auto).unwrap();
    assert!(state.delete_authenticator(id, now + Duration::from_secs(2)));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Succeeded));
}

#[test]
fn renaming_and_deleting_users() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_authenticators(&mut state, now, 1);
    let id = state.user(user_id).unwrap().authenticators[0].authenticator_id;
    let later = now + Duration::from_secs(9);
    let renamed = state.rename_authenticator(id, "Work phone".into(), later).expect("renamed");
    assert_eq!((renamed.name.as_str(), renamed.updated_at), ("Work phone", later));
    assert!(state.rename_authenticator(Uuid::new_v4(), "x".into(), later).is_none());

    let tid = state.begin_approval(user_id, request(None), timing(now)).unwrap();
    state.insert_intent(
        Uuid::nil(),
        Intent {
            operation: Operation::Approve,
            user_id: Some(user_id),
            username: Some("p".into()),
            channels: None,
            expires_at: later,
            used: false,
        },
        now,
    );
    assert!(state.delete_user(user_id, now));
    assert!(!state.delete_user(user_id, now));
    assert!(state.transaction(tid).is_none());
    assert!(state.intent(Uuid::nil()).is_none());
    assert_eq!(state.user_id_by_username("p"), None);
    assert!(state.pending_approvals(user_id).is_none());
}

#[test]
fn retention_is_the_ttl_within_bounds() {
    assert_eq!(settled_retention(Duration::from_millis(200)), MIN_SETTLED_RETENTION);
    assert_eq!(settled_retention(Duration::from_secs(300)), Duration::from_secs(300));
    assert_eq!(settled_retention(Duration::from_secs(5 * 3600)), crate::tokens::TRANSACTION_TOKEN_GRACE);
}

#[test]
fn settled_transactions_are_forgotten_one_retention_after_their_deadline() {
    let mut state = State::default();
    let now = SystemTime::now();
    let s = Duration::from_secs;
    let user_id = user_with_authenticators(&mut state, now, 1);
    let (_, decided) = state.begin_enrollment(Target::Existing { user_id, assign_username: None }, timing(now));
    assert_eq!(state.decide(decided, false, now), Ok(TransactionStatus::Failed));
    let never_looked_at = state.begin_approval(user_id, request(None), timing(now)).unwrap();
    let status = |state: &State, tid| state.transaction(tid).map(|t| t.status);

    // TTL 60 s: deadline at 60 s, forgotten at 120 s — settled and answering until then.
    state.settle(decided, now + s(119));
    assert_eq!(status(&state, decided), Some(TransactionStatus::Failed));
    state.settle(never_looked_at, now + s(119));
    assert_eq!(status(&state, never_looked_at), Some(TransactionStatus::Failed), "expired");
    state.settle(decided, now + s(120));
    assert_eq!(status(&state, decided), None, "forgotten: status answers unknown");
    assert_eq!(status(&state, never_looked_at), None);
    assert_eq!(state.decide(decided, true, now + s(121)), Err(DecideError::Unknown));
    // The user stays, with its authenticator; its list of transactions shrinks.
    let user = state.user(user_id).expect("users are kept");
    assert_eq!(user.authenticators.len(), 1);
    assert!(user.transaction_ids.is_empty(), "{:?}", user.transaction_ids);
    assert_eq!(state.kept(), (0, 0));
}

#[test]
fn a_due_auto_approval_is_applied_before_its_transaction_is_forgotten() {
    let mut state = State::default();
    let now = SystemTime::now();
    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let (user_id, tid) = state.begin_enrollment(Target::New { username: Some("auto".into()) }, auto);
    // Nobody looks at it; a later enrollment sweeps it away.
    state.begin_enrollment(Target::New { username: None }, timing(now + Duration::from_secs(3600)));
    assert!(state.transaction(tid).is_none());
    let user = state.user(user_id).expect("kept");
    assert_eq!((user.status, user.authenticators.len()), (UserStatus::Active, 1), "the approval counted");
}

#[test]
fn intents_are_forgotten_at_their_expiry() {
    let mut state = State::default();
    let now = SystemTime::now();
    let intent = |expires_at| Intent {
        operation: Operation::Enroll,
        user_id: None,
        username: Some("i".into()),
        channels: None,
        expires_at,
        used: false,
    };
    let (first, second) = (Uuid::new_v4(), Uuid::new_v4());
    state.insert_intent(first, intent(now + Duration::from_secs(10)), now);
    state.insert_intent(second, intent(now + Duration::from_secs(20)), now + Duration::from_secs(9));
    assert!(state.intent(first).is_some() && state.intent(second).is_some());
    state.evict(now + Duration::from_secs(10));
    assert!(state.intent(first).is_none() && state.intent(second).is_some());
    state.evict(now + Duration::from_secs(20));
    assert_eq!(state.kept(), (0, 0));
}

#[test]
fn a_long_run_stays_bounded() {
    // 20,000 settled enrollments, one every 10 ms, TTL 1 s: each is forgotten 1 s + 5 s
    // after it started, so about 600 are ever kept at once.
    let mut state = State::default();
    let start = SystemTime::now();
    let ttl = Duration::from_secs(1);
    let mut most = 0;
    for i in 0..20_000u32 {
        let now = start + Duration::from_millis(10 * u64::from(i));
        let target = Target::New { username: None };
        let (_, tid) = state.begin_enrollment(target, Timing { now, ttl, auto_approve_after: None });
        assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Succeeded));
        most = most.max(state.kept().0);
    }
    let retained = (ttl + settled_retention(ttl)).as_millis() / 10;
    assert!(most as u128 <= retained + 1, "{most} kept at once, expected at most {}", retained + 1);
    assert!(state.transactions_to_forget.len() <= most);
}

#[test]
fn enrollment_stops_at_the_authenticator_limit() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_authenticators(&mut state, now, MAX_AUTHENTICATORS as u64);
    let (_, tid) = state.begin_enrollment(Target::Existing { user_id, assign_username: None }, timing(now));
    assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Failed));
    assert_eq!(state.user(user_id).unwrap().authenticators.len(), MAX_AUTHENTICATORS);
}

fn sms_enrollment(code: &str) -> SmsEnrollment {
    SmsEnrollment { phone: "+41791234567".into(), text: format!("code {code}"), code: code.into() }
}

#[test]
fn sms_enrollments_are_decided_by_their_code_only() {
    let mut state = State::default();
    let now = SystemTime::now();
    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let target = Target::New { username: Some("s".into()) };
    let (user_id, tid) = state.begin_sms_enrollment(target, sms_enrollment("123456"), auto).expect("no limit");
    let transaction = state.transaction(tid).expect("kept");
    assert_eq!((transaction.operation, transaction.channel()), (Operation::Enroll, Channel::Sms));
    assert_eq!(transaction.auto_approve_at, None, "never approves itself");
    assert_eq!(state.decide(tid, true, now), Err(DecideError::DecidedByCode));
    assert_eq!(state.sms_of(user_id).map(|messages| messages.len()), Some(1));
    assert_eq!(state.sms_of(Uuid::new_v4()).map(|messages| messages.len()), None);

    let other = Target::New { username: Some("o".into()) };
    let (other_id, _) = state.begin_sms_enrollment(other, sms_enrollment("000000"), timing(now)).expect("no limit");
    assert_eq!(state.verify_sms_code(other_id, tid, "123456", now), Err(SmsCodeError::NoSuchTransaction));
    assert_eq!(state.verify_sms_code(user_id, tid, "12345", now), Err(SmsCodeError::WrongCode));
    assert_eq!(state.verify_sms_code(user_id, tid, "123456", now + Duration::from_secs(2)), Ok(()));
    let transaction = state.transaction(tid).expect("kept");
    assert_eq!(transaction.status, TransactionStatus::Succeeded);
    assert_eq!(transaction.last_updated_at, now + Duration::from_secs(2));
    assert_eq!(state.verify_sms_code(user_id, tid, "123456", now), Err(SmsCodeError::NoSuchTransaction));
    let user = state.user(user_id).expect("user");
    assert_eq!(user.authenticators.len(), 1, "the phone number, as an SMS authenticator");
    assert_eq!(user.authenticators[0].phone(), Some("+41791234567"));
    assert!(!user.has_app(), "no app authenticator");
    assert_eq!(user.status, UserStatus::Active);

    let (_, app) = state.begin_enrollment(Target::Existing { user_id, assign_username: None }, timing(now));
    assert_eq!(state.verify_sms_code(user_id, app, "123456", now), Err(SmsCodeError::NoSuchTransaction));

    assert!(state.delete_user(user_id, now));
    assert_eq!(state.sms_outbox().count(), 1, "only the other user's SMS is left");
}

#[test]
fn the_third_wrong_sms_code_fails_and_expiry_ends_it_too() {
    let mut state = State::default();
    let now = SystemTime::now();
    let (user_id, tid) =
        state.begin_sms_enrollment(Target::New { username: None }, sms_enrollment("1"), timing(now)).expect("no limit");
    for attempt in 1..=3 {
        assert_eq!(state.verify_sms_code(user_id, tid, "2", now), Err(SmsCodeError::WrongCode));
        let expected = if attempt < 3 { TransactionStatus::Pending } else { TransactionStatus::Failed };
        assert_eq!(state.transaction(tid).map(|t| t.status), Some(expected));
    }
    assert_eq!(state.verify_sms_code(user_id, tid, "1", now), Err(SmsCodeError::NoSuchTransaction));

    let (_, tid) =
        state.begin_sms_enrollment(Target::New { username: None }, sms_enrollment("1"), timing(now)).expect("no limit");
    let late = now + Duration::from_secs(61);
    assert_eq!(state.verify_sms_code(user_id, tid, "1", late), Err(SmsCodeError::NoSuchTransaction));
}

#[test]
fn recovery_codes_replace_and_check() {
    let mut state = State::default();
    let now = SystemTime::now();
    let hashes = vec![crate::hash::sha256(b"one"), crate::hash::sha256(b"two")];
    let user_id = state.set_recovery_codes(Target::New { username: Some("r".into()) }, hashes, now);
    assert_eq!(state.user(user_id).map(|u| u.updated_at), Some(now));
    let later = now + Duration::from_secs(1);
    let one = crate::hash::sha256(b"one");
    assert_eq!(state.check_recovery_code(user_id, &one, later), Some(RecoveryCheck::Accepted));
    assert_eq!(state.check_recovery_code(user_id, &one, later), Some(RecoveryCheck::Rejected));
    assert_eq!(state.check_recovery_code(Uuid::new_v4(), &one, later), None);
    let again = state.set_recovery_codes(Target::Existing { user_id, assign_username: None }, vec![one], later);
    assert_eq!(again, user_id);
    assert_eq!(state.check_recovery_code(user_id, &one, later), Some(RecoveryCheck::Accepted), "a new set");
}

/// A user with one app authenticator and the phone `+41791234567` registered by SMS.
fn user_with_app_and_phone(state: &mut State, now: SystemTime) -> Uuid {
    let user_id = user_with_authenticators(state, now, 1);
    let target = Target::Existing { user_id, assign_username: None };
    let (_, tid) = state.begin_sms_enrollment(target, sms_enrollment("111111"), timing(now)).expect("no limit");
    state.verify_sms_code(user_id, tid, "111111", now).expect("registered");
    user_id
}

fn sms_request(code: &str, authenticator: Option<AuthenticatorChoice>) -> ApprovalRequest {
    let sms = SmsText { text: format!("login {code}"), code: code.into() };
    ApprovalRequest { channel: Channel::Sms, sms: Some(sms), ..request(authenticator) }
}

#[test]
fn sms_approvals_go_to_the_registered_phone_and_are_decided_by_their_code() {
    let mut state = State::default();
    let now = SystemTime::now();
    let app_only = user_with_authenticators(&mut state, now, 1);
    assert_eq!(state.begin_approval(app_only, sms_request("1", None), timing(now)), Err(ApprovalError::NoPhone));
    let app_id = state.user(app_only).unwrap().authenticators[0].authenticator_id;
    let sent_before = state.sms_outbox().count();

    let user_id = user_with_app_and_phone(&mut state, now);
    let user = state.user(user_id).unwrap();
    let (app, phone) = (user.authenticators[0].authenticator_id, user.authenticators[1].authenticator_id);
    let not_a_phone = Some(AuthenticatorChoice::One(app));
    assert_eq!(
        state.begin_approval(user_id, sms_request("1", not_a_phone), timing(now)),
        Err(ApprovalError::UnknownAuthenticator)
    );
    let others = Some(AuthenticatorChoice::One(app_id));
    assert_eq!(
        state.begin_approval(user_id, sms_request("1", others), timing(now)),
        Err(ApprovalError::UnknownAuthenticator)
    );
    // A push approval never asks the phone number, even though it is the newest authenticator.
    let push = state.begin_approval(user_id, request(None), timing(now)).unwrap();
    let asked = state.transaction(push).and_then(|t| t.approval.clone()).map(|a| a.authenticator);
    assert_eq!(asked, Some(AuthenticatorChoice::One(app)));
    let sms_to_phone = Some(AuthenticatorChoice::One(phone));
    assert_eq!(
        state.begin_approval(user_id, request(sms_to_phone), timing(now)),
        Err(ApprovalError::UnknownAuthenticator)
    );

    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let tid = state.begin_approval(user_id, sms_request("424242", None), auto).expect("starts");
    let transaction = state.transaction(tid).unwrap();
    assert_eq!((transaction.channel(), transaction.auto_approve_at), (Channel::Sms, None));
    let sent = state.sms_outbox().last().unwrap();
    assert_eq!((sent.to.as_str(), sent.code.as_str(), sent.transaction_id), ("+41791234567", "424242", tid));
    assert_eq!(state.sms_outbox().count(), sent_before + 2, "the enrollment's and the approval's");
    assert_eq!(state.decide(tid, true, now), Err(DecideError::DecidedByCode));
    assert_eq!(
        state.pending_approvals(user_id).map(|p| p.len()),
        Some(1),
        "only the push approval: no buttons for SMS"
    );
    state.settle(tid, now + Duration::from_secs(2));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Pending), "no auto-approval");

    assert_eq!(state.verify_sms_code(user_id, tid, "000000", now), Err(SmsCodeError::WrongCode));
    let later = now + Duration::from_secs(3);
    assert_eq!(state.verify_sms_code(user_id, tid, "424242", later), Ok(()));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Succeeded));
    assert_eq!(state.user(user_id).unwrap().last_login_success, Some(later));
    assert_eq!(state.user(user_id).unwrap().authenticators.len(), 2, "an approval registers nothing");

    let failing = state.begin_approval(user_id, sms_request("555555", sms_to_phone), timing(now)).unwrap();
    for _ in 0..3 {
        assert_eq!(state.verify_sms_code(user_id, failing, "999999", later), Err(SmsCodeError::WrongCode));
    }
    assert_eq!(state.transaction(failing).map(|t| t.status), Some(TransactionStatus::Failed));
    assert_eq!(state.user(user_id).unwrap().last_login_failure, Some(later));

    // Deleting the number fails the SMS approvals waiting on it.
    let orphan = state.begin_approval(user_id, sms_request("1", None), timing(now)).unwrap();
    assert!(state.delete_authenticator(phone, now));
    assert_eq!(state.transaction(orphan).map(|t| t.status), Some(TransactionStatus::Failed));
    assert_eq!(state.begin_approval(user_id, sms_request("1", None), timing(now)), Err(ApprovalError::NoPhone));
}

#[test]
fn the_same_number_registers_once() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_app_and_phone(&mut state, now);
    let target = Target::Existing { user_id, assign_username: None };
    let (_, again) = state.begin_sms_enrollment(target, sms_enrollment("222222"), timing(now)).unwrap();
    let later = now + Duration::from_secs(5);
    assert_eq!(state.verify_sms_code(user_id, again, "222222", later), Ok(()));
    let user = state.user(user_id).unwrap();
    assert_eq!(user.authenticators.len(), 2);
    assert_eq!(user.authenticators[1].updated_at, later);
}

#[test]
fn usernameless_approvals_take_the_user_that_approves_them() {
    let mut state = State::default();
    let now = SystemTime::now();
    let approver = user_with_authenticators(&mut state, now, 1);
    let (bare, _) = state.begin_enrollment(Target::New { username: Some("bare".into()) }, timing(now));
    let auto = Timing { auto_approve_after: Some(Duration::from_secs(1)), ..timing(now) };
    let any = ApprovalRequest { channel: Channel::App, ..request(Some(AuthenticatorChoice::Any)) };
    let tid = state.begin_usernameless_approval(any.clone(), auto);
    let transaction = state.transaction(tid).unwrap();
    assert_eq!((transaction.user_id, transaction.auto_approve_at), (None, None));
    state.settle(tid, now + Duration::from_secs(2));
    assert_eq!(state.transaction(tid).map(|t| t.status), Some(TransactionStatus::Pending), "no auto-approval");

    assert_eq!(state.decide(tid, true, now), Err(DecideError::NeedsUser));
    assert_eq!(state.approve_as(tid, Uuid::new_v4(), now), Err(DecideError::UnknownUser));
    assert_eq!(state.approve_as(tid, bare, now), Err(DecideError::NoAppAuthenticator));
    assert_eq!(state.transaction(tid).map(|t| (t.status, t.user_id)), Some((TransactionStatus::Pending, None)));
    let later = now + Duration::from_secs(3);
    assert_eq!(state.approve_as(tid, approver, later), Ok(TransactionStatus::Succeeded));
    let transaction = state.transaction(tid).unwrap();
    assert_eq!(transaction.user_id, Some(approver));
    let user = state.user(approver).unwrap();
    assert_eq!(user.last_login_success, Some(later));
    assert!(user.transaction_ids.contains(&tid), "deleting the user forgets it");
    assert_eq!(state.approve_as(tid, approver, later), Err(DecideError::NotPending(TransactionStatus::Succeeded)));

    let declined = state.begin_usernameless_approval(any, timing(now));
    assert_eq!(state.decide(declined, false, later), Ok(TransactionStatus::Failed));
    assert_eq!(state.transaction(declined).and_then(|t| t.user_id), None, "nobody's");

    // Others: only their own user may approve as.
    let named = state.begin_approval(approver, request(None), timing(now)).unwrap();
    assert_eq!(state.approve_as(named, bare, now), Err(DecideError::WrongUser));
    assert_eq!(state.approve_as(named, approver, now), Ok(TransactionStatus::Succeeded));
}

fn limits(push: Option<(u32, u64)>, sms: Option<(u32, u64)>) -> RateLimits {
    let limit = |(max, secs): (u32, u64)| RateLimit { max, period: Duration::from_secs(secs) };
    RateLimits { push: push.map(limit), sms: sms.map(limit) }
}

#[test]
fn push_rate_limits_refuse_the_one_past_max_and_show_on_the_user() {
    let mut state = State::new(limits(Some((2, 60)), None));
    let now = SystemTime::now();
    let user_id = user_with_authenticators(&mut state, now, 1);
    assert!(state.exceeded_rate_limits(user_id, now).is_empty());
    let app = ApprovalRequest { channel: Channel::App, ..request(None) };
    for second in [0, 10] {
        state
            .begin_approval(user_id, request(None), timing(now + Duration::from_secs(second)))
            .expect("under the limit");
        state.begin_approval(user_id, app.clone(), timing(now)).expect("the app channel is not limited");
    }
    let at = now + Duration::from_secs(20);
    assert_eq!(state.exceeded_rate_limits(user_id, at), vec![Channel::Push]);
    let kept = state.kept().0;
    assert_eq!(
        state.begin_approval(user_id, request(None), timing(at)),
        Err(ApprovalError::RateLimited { retry_after: Duration::from_secs(40) })
    );
    assert_eq!(state.kept().0, kept, "nothing created");
    let refusal = state.events().newest(|e| e.event == "ratelimit.exceeded", 1);
    assert_eq!(refusal.len(), 1);
    assert_eq!((refusal[0].user_id, refusal[0].channel), (Some(user_id), Some(Channel::Push)));
    // The send at 0 s leaves the window at 60 s.
    let freed = now + Duration::from_secs(60);
    assert!(state.exceeded_rate_limits(user_id, freed).is_empty());
    state.begin_approval(user_id, request(None), timing(freed)).expect("a slot is free");
    assert_eq!(state.exceeded_rate_limits(user_id, freed), vec![Channel::Push]);

    state.set_rate_limits(RateLimits::default());
    assert!(state.exceeded_rate_limits(user_id, freed).is_empty());
    state.begin_approval(user_id, request(None), timing(freed)).expect("no limit");
}

#[test]
fn sms_rate_limits_count_enrollments_and_approvals_and_create_nothing_past_them() {
    let mut state = State::new(limits(None, Some((2, 3600))));
    let now = SystemTime::now();
    let user_id = user_with_app_and_phone(&mut state, now);
    let tid = state.begin_approval(user_id, sms_request("1", None), timing(now)).expect("the second SMS");
    assert_eq!(state.exceeded_rate_limits(user_id, now), vec![Channel::Sms]);
    let outbox = state.sms_outbox().count();
    assert!(matches!(
        state.begin_approval(user_id, sms_request("2", None), timing(now)),
        Err(ApprovalError::RateLimited { .. })
    ));
    let target = Target::Existing { user_id, assign_username: None };
    assert!(state.begin_sms_enrollment(target, sms_enrollment("3"), timing(now)).is_err());
    assert_eq!(state.sms_outbox().count(), outbox, "nothing sent");
    assert_eq!(state.verify_sms_code(user_id, tid, "1", now), Ok(()), "a refusal leaves the pending one alone");
    state.begin_approval(user_id, request(None), timing(now)).expect("push is not limited");

    // Max 0: nobody gets an SMS, and a new user is not even created.
    state.set_rate_limits(limits(None, Some((0, 60))));
    let new = Target::New { username: Some("blocked".into()) };
    assert_eq!(state.begin_sms_enrollment(new, sms_enrollment("4"), timing(now)), Err(Duration::from_secs(60)));
    assert_eq!(state.user_id_by_username("blocked"), None);
}

#[test]
fn app_authenticators_carry_their_device_and_notification_setting() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_app_and_phone(&mut state, now);
    let user = state.user(user_id).unwrap();
    let (app, phone) = (&user.authenticators[0], &user.authenticators[1]);
    let device = app.app().expect("an app");
    assert!(!device.push_disabled);
    assert_eq!(device.device_ref.len(), 32);
    assert!(phone.app().is_none());
    let (app_id, phone_id) = (app.authenticator_id, phone.authenticator_id);

    assert!(state.set_push_disabled(app_id, true));
    assert!(state.push_disabled(app_id));
    assert!(!state.set_push_disabled(phone_id, true), "an SMS number has no notifications");
    assert!(!state.set_push_disabled(Uuid::new_v4(), true));
    let tid = state.begin_approval(user_id, request(None), timing(now)).expect("still created");
    assert_eq!(state.pending_approvals(user_id).map(|p| p.len()), Some(1));
    assert_eq!(state.decide(tid, true, now), Ok(TransactionStatus::Succeeded));
    assert!(state.set_push_disabled(app_id, false));
    assert!(!state.push_disabled(app_id));
    let other = user_with_authenticators(&mut state, now, 1);
    let other_ref = &state.user(other).unwrap().authenticators[0].app().unwrap().device_ref;
    assert_ne!(other_ref, &state.user(user_id).unwrap().authenticators[0].app().unwrap().device_ref);
}

#[test]
fn what_happens_is_recorded_in_the_event_log() {
    let mut state = State::default();
    let now = SystemTime::now();
    let (user_id, tid) = state.begin_enrollment(Target::New { username: Some("eve".into()) }, timing(now));
    let later = now + Duration::from_secs(1);
    assert_eq!(state.decide(tid, true, later), Ok(TransactionStatus::Succeeded));
    let expiring = state.begin_approval(user_id, request(None), timing(later)).unwrap();
    let id = state.user(user_id).unwrap().authenticators[0].authenticator_id;
    state.rename_authenticator(id, "Eve's, \"work\" phone".into(), later);
    // The expiry is recorded once applied, at the deadline, by the system.
    state.settle_all(later + Duration::from_secs(61));
    assert!(state.delete_user(user_id, later + Duration::from_secs(62)));

    let events = state.events().newest(|_| true, 100);
    let words: Vec<&str> = events.iter().map(|e| e.event).collect();
    assert_eq!(
        words,
        [
            "user.deleted",
            "approval.failed",
            "authenticator.renamed",
            "approval.started",
            "enrollment.succeeded",
            "enrollment.started",
        ]
    );
    let expired = &events[1];
    assert_eq!(
        (expired.actor, expired.status, expired.at),
        (Actor::System, EventStatus::Failure, later + Duration::from_secs(60))
    );
    assert_eq!((expired.transaction_id, expired.authenticator_id), (Some(expiring), Some(id)));
    let enrolled = &events[4];
    assert_eq!(
        (enrolled.actor, enrolled.category, enrolled.authenticator_id),
        (Actor::User, Category::Enrollment, Some(id))
    );
    assert!(events.iter().all(|e| e.username.as_deref() == Some("eve")), "named at the time");
    assert_eq!(events[2].detail, "renamed to \"Eve's, \"work\" phone\"");
    assert_eq!((events[0].channel, events[0].category), (None, Category::User));
}

#[test]
fn codes_are_never_in_the_event_log() {
    let mut state = State::default();
    let now = SystemTime::now();
    let user_id = user_with_app_and_phone(&mut state, now);
    let tid = state.begin_approval(user_id, sms_request("987654", None), timing(now)).unwrap();
    let _ = state.verify_sms_code(user_id, tid, "123987", now);
    let _ = state.verify_sms_code(user_id, tid, "987654", now);
    let hashes = vec![crate::hash::sha256(b"RECOVERYCODE0001")];
    state.set_recovery_codes(Target::Existing { user_id, assign_username: None }, hashes, now);
    let _ = state.check_recovery_code(user_id, &crate::hash::sha256(b"RECOVERYCODE0001"), now);
    let dump = format!("{:?}", state.events().newest(|_| true, 1000));
    for code in ["111111", "987654", "123987", "RECOVERYCODE0001", "login"] {
        assert!(!dump.contains(code), "{code} in {dump}");
    }
    let words: Vec<&str> = state.events().newest(|_| true, 1000).iter().map(|e| e.event).collect();
    for word in ["sms.sent", "verification.failed", "verification.succeeded", "recovery.issued", "approval.succeeded"] {
        assert!(words.contains(&word), "{word}: {words:?}");
    }
}

#[test]
fn seeding_makes_only_what_the_log_can_keep() {
    let mut state = State::default();
    let now = SystemTime::now();
    state.seed_events(10_050, now);
    assert_eq!(state.events().newest(|_| true, usize::MAX).len(), 10_050);
    state.seed_events(u32::MAX, now);
    let all = state.events().newest(|_| true, usize::MAX);
    assert_eq!(all.len(), events::EVENT_CAPACITY);
    assert_eq!(all[0].at, now);
    state.clear(RateLimits::default());
    assert!(state.events().newest(|_| true, 1).is_empty());
}
