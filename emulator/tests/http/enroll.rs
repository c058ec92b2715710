//! `POST /api/v1/users/enroll` and `GET /api/v1/users/{userId}`.

use serde_json::{Value, json};

use crate::common::{assert_error, enrollment, start};

fn is_iso_micros(value: &Value) -> bool {
    let text = value.as_str().unwrap_or_default();
    // 2020-10-09T12:13:11.845958Z
    text.len() == 27
        && text.ends_with('Z')
        && text.as_bytes()[10] == b'T'
        && text.as_bytes()[19] == b'.'
        && humantime::parse_rfc3339(text).is_ok()
}

#[tokio::test]
async fn enroll_answers_the_seed_shape() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({ "username": "u12345" })).await;
    let object = answer.as_object().expect("object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    for key in ["userId", "username", "status", "createdAt", "updatedAt", "authenticators", "enrollment"] {
        assert!(keys.contains(&key), "missing {key} in {keys:?}");
    }
    assert!(uuid::Uuid::parse_str(answer["userId"].as_str().unwrap()).is_ok());
    assert_eq!(answer["username"], "u12345");
    assert_eq!(answer["status"], "new");
    assert!(is_iso_micros(&answer["createdAt"]), "{}", answer["createdAt"]);
    assert!(is_iso_micros(&answer["updatedAt"]));
    assert_eq!(answer["authenticators"], json!([]));

    let enrollment = &answer["enrollment"];
    assert!(uuid::Uuid::parse_str(enrollment["transactionId"].as_str().unwrap()).is_ok());
    assert!(enrollment["statusToken"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(enrollment["qrCode"]["type"], "image/png");
    assert_eq!(enrollment["qrCode"]["size"], 300);
    assert!(enrollment["qrCode"]["dataUri"].as_str().unwrap().starts_with("data:image/png;base64,"));
    let link = enrollment["appLinkUri"].as_str().unwrap();
    let prefix = format!("{}/open?dispatchTokenResponse=", ctx.emu.base_url());
    assert!(link.starts_with(&prefix), "{link}");
    assert!(link.len() > prefix.len() + 20);

    let (transaction_id, status_token) = enrollment_of(&answer);
    let status = ctx.status(&status_token).await;
    assert_eq!(status["status"], "pending");
    assert_eq!(status["transactionId"], transaction_id.as_str());
}

fn enrollment_of(answer: &Value) -> (String, String) {
    enrollment(answer)
}

#[tokio::test]
async fn empty_body_and_usernameless_enroll() {
    let ctx = start().await;
    let response = ctx.http.post(ctx.url("/api/v1/users/enroll")).bearer_auth(ctx.key()).send().await.unwrap();
    assert_eq!(response.status(), 201);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["username"], Value::Null);
    assert!(answer.as_object().unwrap().contains_key("username"), "present as null");
    let explicit = ctx.enroll(json!({ "channel": "app" })).await;
    assert_ne!(explicit["userId"], answer["userId"], "a new user each time");
}

#[tokio::test]
async fn same_username_reuses_the_user_and_approval_activates_it() {
    let ctx = start().await;
    let first = ctx.enroll(json!({ "username": "first.last@example.com" })).await;
    let (transaction_id, _) = enrollment(&first);
    ctx.emu.approve(&transaction_id).expect("approve");

    let user_id = first["userId"].as_str().unwrap();
    let user: Value = ctx
        .http
        .get(ctx.url(&format!("/api/v1/users/{user_id}")))
        .bearer_auth(ctx.key())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["status"], "active");
    assert_eq!(user["username"], "first.last@example.com");
    let authenticators = user["authenticators"].as_array().unwrap();
    assert_eq!(authenticators.len(), 1);
    let authenticator = &authenticators[0];
    for key in ["authenticatorId", "name", "type", "authenticatorType", "state", "enrolledAt", "updatedAt"] {
        assert!(authenticator.get(key).is_some(), "missing {key}");
    }
    assert_eq!(authenticator["type"], "android");
    assert_eq!(authenticator["authenticatorType"], "app");
    assert_eq!(authenticator["name"], "Emulated phone");
    assert!(user.get("lastLoginDateSuccess").is_some());

    let again = ctx.enroll(json!({ "username": "first.last@example.com" })).await;
    assert_eq!(again["userId"], first["userId"]);
    assert_eq!(again["status"], "active");
    assert_eq!(again["authenticators"].as_array().unwrap().len(), 1);
    assert_ne!(again["enrollment"]["transactionId"], first["enrollment"]["transactionId"]);

    let by_id = ctx.enroll(json!({ "userId": user_id })).await;
    assert_eq!(by_id["userId"], first["userId"]);
    assert_eq!(by_id["username"], "first.last@example.com");
}

#[tokio::test]
async fn enroll_rejects_bad_input() {
    let ctx = start().await;
    let key = ctx.key();
    let send = |body: Value| ctx.post_json("/api/v1/users/enroll", Some(&key), &body).send();

    for username in [json!(""), json!("x".repeat(301)), json!("has space"), json!("ümlaut"), json!("a/b"), json!(7)] {
        assert_error(send(json!({ "username": username })).await.unwrap(), 400).await;
    }
    // 300 characters is still fine.
    assert_eq!(send(json!({ "username": "x".repeat(300) })).await.unwrap().status(), 201);

    assert_error(send(json!({ "userId": "not-a-uuid" })).await.unwrap(), 400).await;
    let message = assert_error(send(json!({ "userId": uuid::Uuid::new_v4().to_string() })).await.unwrap(), 404).await;
    assert!(message.contains("user"), "{message}");

    let message = assert_error(send(json!({ "channel": "push" })).await.unwrap(), 400).await;
    assert!(message.contains("not supported by the emulator"), "{message}");
    assert_error(send(json!({ "channel": "carrier-pigeon" })).await.unwrap(), 400).await;
    assert_error(send(json!({ "channel": 1 })).await.unwrap(), 400).await;

    // userId and username of different users.
    let a = ctx.enroll(json!({ "username": "alice" })).await;
    ctx.enroll(json!({ "username": "bob" })).await;
    assert_error(send(json!({ "userId": a["userId"], "username": "bob" })).await.unwrap(), 400).await;
}

#[tokio::test]
async fn users_endpoint_auth_and_not_found() {
    let ctx = start().await;
    let answer = ctx.enroll(json!({})).await;
    let path = format!("/api/v1/users/{}", answer["userId"].as_str().unwrap());
    assert_error(ctx.http.get(ctx.url(&path)).send().await.unwrap(), 401).await;
    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth("nope").send().await.unwrap(), 401).await;
    let intent = ctx.intent(json!({ "username": "carol", "operation": "enroll" })).await;
    assert_error(ctx.http.get(ctx.url(&path)).bearer_auth(&intent).send().await.unwrap(), 403).await;

    let user: Value = ctx.http.get(ctx.url(&path)).bearer_auth(ctx.key()).send().await.unwrap().json().await.unwrap();
    assert_eq!(user["status"], "new");
    assert_eq!(user["authenticators"], json!([]));

    for missing in [uuid::Uuid::new_v4().to_string(), "garbage".to_owned()] {
        let response =
            ctx.http.get(ctx.url(&format!("/api/v1/users/{missing}"))).bearer_auth(ctx.key()).send().await.unwrap();
        assert_error(response, 404).await;
    }
}

#[tokio::test]
async fn ping_answers_pong() {
    let ctx = start().await;
    let response = ctx.http.get(ctx.url("/ping")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert_eq!(response.text().await.unwrap(), "PONG");
}
