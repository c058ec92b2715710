//! The `uaf` object of app authenticators (`deviceRef`, `userDisabledPushNotification`) and
//! turning push notifications off: `Emulator::set_push_notifications_disabled` and
//! `PUT /_emulator/authenticators/{id}/push-notifications`.

use authcloud_emulator::EmulatorError;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::common::{Ctx, assert_error, enrollment, start};

/// `PUT /_emulator/authenticators/{id}/push-notifications` with `body`.
async fn put_push(ctx: &Ctx, authenticator_id: &str, body: Value) -> Response {
    let path = format!("/_emulator/authenticators/{authenticator_id}/push-notifications");
    ctx.control_request(Method::PUT, &path).json(&body).send().await.expect("sent")
}

fn uaf(user: &Value, index: usize) -> Value {
    user["authenticators"][index]["uaf"].clone()
}

#[tokio::test]
async fn app_authenticators_carry_uaf_and_sms_ones_do_not() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("ana", 2).await;
    let user = ctx.user(&user_id).await;
    for index in 0..2 {
        let uaf = uaf(&user, index);
        assert_eq!(uaf.as_object().map(|o| o.len()), Some(2), "{uaf}");
        assert!(uaf["deviceRef"].as_str().is_some_and(|r| !r.is_empty()), "{uaf}");
        assert_eq!(uaf["userDisabledPushNotification"], false);
    }
    assert_ne!(uaf(&user, 0)["deviceRef"], uaf(&user, 1)["deviceRef"], "two enrollments, two devices");
    // Stable: the same on every read and after a rename.
    let renamed = ctx
        .http
        .patch(ctx.url(&format!("/api/v1/authenticators/{}", phones[0])))
        .bearer_auth(ctx.key())
        .json(&json!({ "name": "Work" }))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.json::<Value>().await.unwrap()["uaf"], uaf(&user, 0));
    assert_eq!(uaf(&ctx.user(&user_id).await, 1), uaf(&user, 1));

    let sms = ctx.enroll(json!({ "channel": "sms", "userId": user_id, "phone": "+41791234567" })).await;
    let code = ctx.emu.sms_messages_to(&user_id)[0].code.clone();
    let path = format!("/api/v1/users/{user_id}/verification");
    let check = json!({ "code": code, "statusToken": enrollment(&sms).1 });
    assert_eq!(ctx.post_json(&path, Some(&ctx.key()), &check).send().await.unwrap().status(), 200);
    let user = ctx.user(&user_id).await;
    let number = &user["authenticators"][2];
    assert_eq!(number["authenticatorType"], "sms");
    assert!(number.get("uaf").is_none(), "{number}");
    let number_id = number["authenticatorId"].as_str().unwrap();
    assert_error(put_push(&ctx, number_id, json!({ "disabled": true })).await, 404).await;
    assert!(matches!(
        ctx.emu.set_push_notifications_disabled(number_id, true),
        Err(EmulatorError::UnknownAuthenticator)
    ));
}

#[tokio::test]
async fn notifications_off_still_lets_a_push_approval_through() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("ben", 2).await;
    assert_eq!(put_push(&ctx, &phones[1], json!({ "disabled": true })).await.status(), 204);
    let user = ctx.user(&user_id).await;
    assert_eq!(uaf(&user, 1)["userDisabledPushNotification"], true);
    assert_eq!(uaf(&user, 0)["userDisabledPushNotification"], false, "only that authenticator");

    // Still created (the user may open the app); the phone page says notifications are off.
    let muted = ctx.approval(json!({ "userId": user_id, "authenticatorId": phones[1] })).await;
    let heard = ctx.approval(json!({ "userId": user_id, "authenticatorId": phones[0] })).await;
    assert_eq!(ctx.pending(&user_id).await.len(), 2);
    let html = ctx.http.get(ctx.url(&format!("/phone/{user_id}"))).send().await.unwrap().text().await.unwrap();
    let section = |id: &Value| {
        let start = html.find(&format!("id=\"approval-{}\"", id.as_str().unwrap())).expect("listed");
        let end = html[start..].find("</section>").unwrap() + start;
        html[start..end].to_owned()
    };
    assert!(section(&muted["transactionId"]).contains("notifications off"));
    assert!(!section(&heard["transactionId"]).contains("notifications off"));
    ctx.emu.approve(muted["transactionId"].as_str().unwrap()).expect("approvable as ever");

    ctx.emu.set_push_notifications_disabled(&phones[1], false).expect("back on");
    assert_eq!(uaf(&ctx.user(&user_id).await, 1)["userDisabledPushNotification"], false);
    ctx.emu.set_push_notifications_disabled(&phones[0], true).expect("off");
    assert_eq!(uaf(&ctx.user(&user_id).await, 0)["userDisabledPushNotification"], true);
}

#[tokio::test]
async fn the_control_route_refuses_what_it_cannot_do() {
    let ctx = start().await;
    let (_, phones) = ctx.user_with_phones("cy", 1).await;
    for body in [json!({}), json!({ "disabled": "yes" }), json!({ "disabled": null })] {
        let message = assert_error(put_push(&ctx, &phones[0], body).await, 400).await;
        assert!(message.contains("`disabled`"), "{message}");
    }
    for unknown in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
        assert_error(put_push(&ctx, &unknown, json!({ "disabled": true })).await, 404).await;
        assert!(matches!(
            ctx.emu.set_push_notifications_disabled(&unknown, true),
            Err(EmulatorError::UnknownAuthenticator)
        ));
    }
    let path = format!("/_emulator/authenticators/{}/push-notifications", phones[0]);
    let no_header = ctx.http.put(ctx.url(&path)).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_error(no_header, 403).await;
    assert_error(ctx.control(&path).await, 405).await;
}
