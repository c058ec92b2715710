// How a Java application tests its sign-up code: AuthCloudEmulatorExtension (in the authcloud
// jar) starts one emulator for the class, resets it before each test, and hands out a
// client bound to it. Nothing else is set up by hand.
package dev.authcloud.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.authcloud.ApprovalRequestBuilder;
import dev.authcloud.ApprovalResult;
import dev.authcloud.AuthCloudException;
import dev.authcloud.Client;
import dev.authcloud.ClientConfig;
import dev.authcloud.ClientConfigs;
import dev.authcloud.EnrollResult;
import dev.authcloud.WaitObserverAdapter;
import dev.authcloud.DeleteOutcome;
import dev.authcloud.Faults;
import dev.authcloud.JavaAccess;
import dev.authcloud.PendingApproval;
import dev.authcloud.Secret;
import dev.authcloud.VerifiedUser;
import dev.authcloud.WaitOptionsBuilder;
import dev.authcloud.WaitOutcome;
import dev.authcloud.testing.AuthCloudEmulatorExtension;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SignUpTest {
    @RegisterExtension
    static final AuthCloudEmulatorExtension cloud = new AuthCloudEmulatorExtension();

    @Test
    void aUserWhoApprovesIsVerified() throws AuthCloudException {
        Client client = cloud.getClient();
        EnrollResult enrolled = client.enroll("u12345", null);
        Secret token = enrolled.getEnrollment().getStatusToken();
        cloud.getEmulator().approve(enrolled.getEnrollment().getTransactionId());

        WaitOutcome outcome = client.waitForCompletion(token, WaitOptionsBuilder.of(Duration.ofMillis(100)), null, null);
        assertTrue(outcome.getSucceeded());
        VerifiedUser user = client.verify(token, enrolled.getUser().getUserId(),
                enrolled.getEnrollment().getTransactionId(), true);
        assertEquals("u12345", user.getUsername());
    }

    @Test
    void aRegisteredUserLogsInWithThePhone() throws AuthCloudException {
        Client client = cloud.getClient();
        EnrollResult enrolled = client.enroll("u-login", null);
        cloud.getEmulator().approve(enrolled.getEnrollment().getTransactionId());
        String userId = enrolled.getUser().getUserId();

        ApprovalResult approval = client.approve(ApprovalRequestBuilder.forUserId(userId)
                .prompt(true)
                .message("<html>Log in to <b>Acme</b>?</html>")
                .notificationMessage("Acme login")
                .build());
        List<PendingApproval> pending = cloud.getEmulator().pendingApprovals(userId);
        assertEquals(1, pending.size());
        assertEquals("<html>Log in to <b>Acme</b>?</html>", pending.get(0).getMessage());
        cloud.getEmulator().approve(approval.getTransactionId());   // the user taps Approve

        WaitOutcome outcome = client.waitForCompletion(approval.getStatusToken(), WaitOptionsBuilder.of(Duration.ofMillis(100)), null, null);
        assertTrue(outcome.getSucceeded());
        VerifiedUser user = client.verify(approval.getStatusToken(), userId, approval.getTransactionId(), true);
        assertEquals("u-login", user.getUsername());

        // A lost phone: without an authenticator the next login is refused with a sentence.
        String authenticatorId = client.getUser(userId).getAuthenticators().get(0).getAuthenticatorId();
        assertEquals(DeleteOutcome.DELETED, client.deleteAuthenticator(authenticatorId));
        AuthCloudException.Api refused = assertThrows(AuthCloudException.Api.class,
                () -> client.approve(ApprovalRequestBuilder.forUsername("u-login").build()));
        assertEquals(400, JavaAccess.httpStatus(refused));
        assertTrue(refused.getMessage().startsWith("400 Bad Request from POST /api/v1/approval"), refused.getMessage());
    }

    @Test
    void errorsReadAsSentences() throws AuthCloudException {
        Faults.inject(cloud.getEmulator(), "/api/v1/users/enroll", Faults.status(429, Duration.ofSeconds(120)));
        AuthCloudException.RateLimited e = assertThrows(AuthCloudException.RateLimited.class,
                () -> cloud.getClient().enroll("u", null));
        assertTrue(e.getMessage().startsWith("429 Too Many Requests from POST /api/v1/users/enroll"), e.getMessage());
        assertTrue(e.getMessage().endsWith("slow down: retry after 2m 0s"), e.getMessage());
        assertEquals(e.toString(), e.getMessage());
        assertEquals("rate_limited", e.kind());
        assertTrue(e.isTransient());
        assertEquals(429, JavaAccess.httpStatus(e));
        assertEquals(Duration.ofSeconds(120), JavaAccess.retryAfter(e));

        String wrongKey = "not-the-emulator-key";
        ClientConfig config = ClientConfigs.builder(cloud.getConfig()).accessKey(new Secret(wrongKey)).build();
        AuthCloudException.Unauthorized refused = assertThrows(AuthCloudException.Unauthorized.class, () -> {
            try (Client client = new Client(config)) {
                client.enroll("u", null);
            }
        });
        assertEquals("unauthorized", refused.kind());
        assertFalse(refused.isTransient());
        assertFalse(refused.getMessage().contains(wrongKey));
    }

    @Test
    void theObserverHearsRetriesAsDurations() throws AuthCloudException {
        Client client = cloud.getClient();
        EnrollResult enrolled = client.enroll("u-flaky", null);
        Faults.inject(cloud.getEmulator(), "/api/v1/status", Faults.status(503));
        cloud.getEmulator().approve(enrolled.getEnrollment().getTransactionId());

        List<String> events = new CopyOnWriteArrayList<>();
        WaitOutcome outcome = client.waitForCompletion(enrolled.getEnrollment().getStatusToken(),
                new WaitOptionsBuilder().pollInterval(Duration.ofMillis(100)).timeout(Duration.ofSeconds(10)).build(),
                new WaitObserverAdapter() {
                    @Override
                    public void onTransientError(AuthCloudException error, Duration retryIn) {
                        events.add(error.kind() + (retryIn.isNegative() ? " retry in the past?" : " retry"));
                    }

                    @Override
                    public void onFinished(WaitOutcome finished) {
                        events.add("finished " + finished.getSucceeded());
                    }
                }, null);
        assertTrue(outcome.getSucceeded());
        assertEquals(2, JavaAccess.polls(outcome));
        assertEquals(List.of("server retry", "finished true"), events);
    }

    @Test
    void builtConfigsReadBackAsDurations() {
        ClientConfig config = ClientConfigs.builder()
                .instance("acme")
                .accessKey(new Secret("k"))
                .requestTimeout(Duration.ofSeconds(7))
                .callTimeout(Duration.ofSeconds(20))
                .maxAttempts(5)
                .maxConcurrentRequests(8)
                .build();
        assertEquals(Duration.ofSeconds(7), ClientConfigs.requestTimeout(config));
        assertEquals(Duration.ofSeconds(20), ClientConfigs.callTimeout(config));
        assertEquals("acme", config.getInstance());
        assertThrows(IllegalArgumentException.class, () -> ClientConfigs.builder().requestTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> ClientConfigs.builder().maxConcurrentRequests(-1));
        assertTrue(new WaitOptionsBuilder().firstPollJitter(true).build().getFirstPollJitter());
    }
}
