//! User and authenticator management: find by username, delete users, rename and delete
//! authenticators, and the limit of ten authenticators per user.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start};

#[tokio::test]
async fn users_can_be_found_by_username() {
    let ctx = start().await;
    let (user_id, _) = ctx.user_with_phones("first.last@example.com", 1).await;
    let by_id = ctx.user(&user_id).await;
    let find = |query: &str| ctx.http.get(ctx.url(&format!("/api/v1/users{query}"))).bearer_auth(ctx.key()).send();

    for query in ["?username=first.last@example.com", "?username=first.last%40example.com&other=1"] {
        let response = find(query).await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
        let found: Value = response.json().await.unwrap();
        assert_eq!(found, by_id, "the same JSON as by id");
    }
    assert_error(find("?username=First.Last@example.com").await.unwrap(), 404).await; // case-sensitive
    assert_error(find("?username=nobody").await.unwrap(), 404).await;
    for bad in ["", "?", "?user=x", "?username=", "?username=a+b", "?username=%C3%BC"] {
        assert_error(find(bad).await.unwrap(), 400).await;
    }
    let url = ctx.url("/api/v1/users?username=nobody");
    assert_error(ctx.http.get(&url).send().await.unwrap(), 401).await;
    assert_error(ctx.http.post(&url).bearer_auth(ctx.key()).send().await.unwrap(), 405).await;
}

#[tokio::test]
async fn deleting_a_user_forgets_it_and_its_transactions() {
    let ctx = start().await;
    let (user_id, _) = ctx.user_with_phones("max", 1).await;
    let pending_enrollment = ctx.enroll(json!({ "username": "max" })).await;
    let (_, enrollment_status) = enrollment(&pending_enrollment);
    let approval = ctx.approval(json!({ "username": "max" })).await;
    let approval_status = approval["statusToken"].as_str().unwrap().to_owned();
    let approval_id = approval["transactionId"].as_str().unwrap().to_owned();
    ctx.emu.approve(&approval_id).unwrap();
    let transaction_token = ctx.status(&approval_status).await["token"].as_str().unwrap().to_owned();
    assert_eq!(ctx.introspect(&transaction_token).await["active"], true);
    let intent = ctx.intent(json!({ "userId": user_id, "operation": "approve" })).await;

    let path = format!("/api/v1/users/{user_id}");
    let delete = || ctx.http.delete(ctx.url(&path)).bearer_auth(ctx.key()).send();
    assert_error(ctx.http.delete(ctx.url(&path)).send().await.unwrap(), 401).await;
    assert_error(ctx.http.delete(ctx.url(&path)).bearer_auth(&intent).send().await.unwrap(), 403).await;
    let deleted = delete().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert!(deleted.bytes().await.unwrap().is_empty());

    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth(ctx.key()).send().await.unwrap(), 404).await;
    let by_name = ctx.http.get(ctx.url("/api/v1/users?username=max")).bearer_auth(ctx.key()).send().await.unwrap();
    assert_error(by_name, 404).await;
    assert_eq!(ctx.status(&enrollment_status).await, json!({ "status": "unknown" }));
    assert_eq!(ctx.status(&approval_status).await, json!({ "status": "unknown" }));
    assert_eq!(ctx.introspect(&transaction_token).await, json!({ "active": false }));
    assert_eq!(ctx.introspect(&intent).await, json!({ "active": false }));
    assert!(ctx.emu.transaction_status(&approval_id).is_none());
    assert!(ctx.emu.pending_approvals(&user_id).is_empty());
    let control =
        ctx.control_request(Method::GET, &format!("/_emulator/users/{user_id}/approvals")).send().await.unwrap();
    assert_error(control, 404).await;

    assert_error(delete().await.unwrap(), 404).await;
    let malformed = ctx.http.delete(ctx.url("/api/v1/users/not-a-uuid")).bearer_auth(ctx.key()).send().await;
    assert_error(malformed.unwrap(), 404).await;
    // The username is free again.
    let fresh = ctx.enroll(json!({ "username": "max" })).await;
    assert_ne!(fresh["userId"], user_id.as_str());
    assert_eq!(fresh["status"], "new");
}

#[tokio::test]
async fn authenticators_can_be_renamed() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("ned", 1).await;
    let before = ctx.user(&user_id).await;
    let path = format!("/api/v1/authenticators/{}", phones[0]);
    let rename = |body: Value| ctx.http.patch(ctx.url(&path)).bearer_auth(ctx.key()).json(&body).send();

    let response = rename(json!({ "name": "Work phone 📱" })).await.unwrap();
    assert_eq!(response.status(), 200);
    let renamed: Value = response.json().await.unwrap();
    let mut keys: Vec<&str> = renamed.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["authenticatorId", "authenticatorType", "enrolledAt", "name", "state", "type", "uaf", "updatedAt"]
    );
    assert_eq!(renamed["name"], "Work phone 📱");
    assert_eq!(renamed["authenticatorId"], phones[0].as_str());
    let after = ctx.user(&user_id).await;
    assert_eq!(after["authenticators"][0], renamed, "as in the user object");
    assert_ne!(renamed["updatedAt"], before["authenticators"][0]["updatedAt"]);
    assert_eq!(renamed["enrolledAt"], before["authenticators"][0]["enrolledAt"]);
    assert_eq!(after["updatedAt"], before["updatedAt"], "the user itself is unchanged");

    assert_eq!(rename(json!({ "name": "n".repeat(100), "extra": 1 })).await.unwrap().status(), 200);
    for bad in [json!({}), json!({ "name": "" }), json!({ "name": "   " }), json!({ "name": "n".repeat(101) })] {
        assert_error(rename(bad).await.unwrap(), 400).await;
    }
    for bad in [json!({ "name": "bell\u{7}" }), json!({ "name": "two\nlines" }), json!({ "name": 5 })] {
        assert_error(rename(bad).await.unwrap(), 400).await;
    }
    let form = ctx.http.patch(ctx.url(&path)).bearer_auth(ctx.key()).form(&[("name", "x")]).send().await.unwrap();
    assert_error(form, 415).await;
    assert_error(ctx.http.patch(ctx.url(&path)).json(&json!({ "name": "x" })).send().await.unwrap(), 401).await;
    for missing in [uuid::Uuid::new_v4().to_string(), "garbage".to_owned()] {
        let url = ctx.url(&format!("/api/v1/authenticators/{missing}"));
        let response = ctx.http.patch(url).bearer_auth(ctx.key()).json(&json!({ "name": "x" })).send().await;
        assert_error(response.unwrap(), 404).await;
    }
    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth(ctx.key()).send().await.unwrap(), 405).await;
}

#[tokio::test]
async fn deleting_the_last_authenticator_makes_the_user_new_again() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("ola", 2).await;
    let delete =
        |id: &str| ctx.http.delete(ctx.url(&format!("/api/v1/authenticators/{id}"))).bearer_auth(ctx.key()).send();
    assert_error(ctx.http.delete(ctx.url(&format!("/api/v1/authenticators/{}", phones[0]))).send().await.unwrap(), 401)
        .await;
    assert_eq!(delete(&phones[0]).await.unwrap().status(), 204);
    assert_error(delete(&phones[0]).await.unwrap(), 404).await;
    let user = ctx.user(&user_id).await;
    assert_eq!(user["status"], "active");
    assert_eq!(user["authenticators"].as_array().unwrap().len(), 1);
    assert_eq!(user["authenticators"][0]["authenticatorId"], phones[1].as_str());

    assert_eq!(delete(&phones[1]).await.unwrap().status(), 204);
    let user = ctx.user(&user_id).await;
    assert_eq!(user["status"], "new");
    assert_eq!(user["authenticators"], json!([]));
    assert_error(delete("garbage").await.unwrap(), 404).await;

    // Enrolling again makes it active again.
    let again = ctx.enroll(json!({ "userId": user_id })).await;
    ctx.emu.approve(&enrollment(&again).0).unwrap();
    assert_eq!(ctx.user(&user_id).await["status"], "active");
}

#[tokio::test]
async fn a_user_has_at_most_ten_authenticators() {
    let ctx = start().await;
    let (user_id, phones) = ctx.user_with_phones("pam", 10).await;
    assert_eq!(phones.len(), 10);
    let eleventh = ctx.enroll(json!({ "userId": user_id })).await;
    let (transaction_id, status_token) = enrollment(&eleventh);
    ctx.emu.approve(&transaction_id).expect("the phone may say yes");
    assert_eq!(ctx.status(&status_token).await["status"], "failed", "but the cloud refuses an 11th");
    assert_eq!(ctx.user(&user_id).await["authenticators"].as_array().unwrap().len(), 10);

    // After deleting one there is room again.
    let deleted =
        ctx.http.delete(ctx.url(&format!("/api/v1/authenticators/{}", phones[3]))).bearer_auth(ctx.key()).send().await;
    assert_eq!(deleted.unwrap().status(), 204);
    let retry = ctx.enroll(json!({ "userId": user_id })).await;
    ctx.emu.approve(&enrollment(&retry).0).unwrap();
    assert_eq!(ctx.status(&enrollment(&retry).1).await["status"], "succeeded");
    assert_eq!(ctx.user(&user_id).await["authenticators"].as_array().unwrap().len(), 10);
}
