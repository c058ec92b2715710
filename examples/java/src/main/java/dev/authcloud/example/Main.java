// The guide's flow in Java 17, against the emulator that ships in the jar: enroll, the user
// approves on the phone (here: the emulator), wait for the outcome, verify it on the
// backend, bound to the user and the transaction this session enrolled.
//
// Against a real instance, use
//     ClientConfigs.forInstance("acme", new Secret(System.getenv("AUTHCLOUD_ACCESS_KEY")))
// and let the user scan the QR code with the authenticator app instead of emulator.approve().
package dev.authcloud.example;

import dev.authcloud.AuthCloudException;
import dev.authcloud.Client;
import dev.authcloud.ClientConfig;
import dev.authcloud.ClientConfigs;
import dev.authcloud.Emulator;
import dev.authcloud.Emulators;
import dev.authcloud.EnrollResult;
import dev.authcloud.Enrollment;
import dev.authcloud.WaitObserverAdapter;
import dev.authcloud.JavaAccess;
import dev.authcloud.Secret;
import dev.authcloud.StatusUpdate;
import dev.authcloud.VerifiedUser;
import dev.authcloud.WaitOptions;
import dev.authcloud.WaitOptionsBuilder;
import dev.authcloud.WaitOutcome;
import dev.authcloud.logging.Slf4jLogSink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // The SDK's log lines (secret-free) through SLF4J, at the level the logging
        // configuration enables for "authcloud" (slf4j-simple: INFO).
        System.out.println("SDK logs via SLF4J at " + Slf4jLogSink.install());

        try (Emulator emulator = Emulators.start()) {
            ClientConfig config = ClientConfigs.builder(ClientConfigs.forEmulator(emulator))
                    .requestTimeout(Duration.ofSeconds(10))
                    .build();
            try (Client client = new Client(config)) {
                System.out.println("client: " + client);                    // no secret in it

                // 1. Start the registration.
                EnrollResult enrolled = client.enroll("u12345", null);
                Enrollment enrollment = enrolled.getEnrollment();

                // 2. Show the QR code, or the link on the phone itself.
                Path qr = Files.createTempFile("authcloud-qr", ".png");
                Files.write(qr, enrollment.getQrCode().png());
                System.out.println("scan " + qr + " or open " + enrollment.getAppLinkUri().reveal());
                emulator.approve(enrollment.getTransactionId());            // (the simulated phone)

                // 3. Wait for the outcome, hearing every poll.
                WaitOptions options = new WaitOptionsBuilder()
                        .pollInterval(Duration.ofMillis(200))
                        .timeout(Duration.ofMinutes(2))
                        .build();
                WaitOutcome outcome = client.waitForCompletion(enrollment.getStatusToken(), options,
                        new WaitObserverAdapter() {
                            @Override
                            public void onStatus(StatusUpdate update) {
                                System.out.println("  poll " + JavaAccess.poll(update) + ": " + update.getStatus().getStatusText());
                            }
                        }, null);
                System.out.println("finished after " + JavaAccess.polls(outcome) + " polls, " + JavaAccess.elapsed(outcome).toMillis() + " ms");

                // 4. Verify on the backend, bound to this session's user and transaction.
                VerifiedUser user = client.verify(enrollment.getStatusToken(),
                        enrolled.getUser().getUserId(), enrollment.getTransactionId(), true);
                System.out.println("verified user " + user.getUserId() + " (" + user.getUsername() + "), token active: "
                        + user.getIntrospection().getActive());
                check(user.getIntrospection().getActive() && "u12345".equals(user.getUsername()), "verified the wrong user");
                Files.delete(qr);

                // Errors are AuthCloudException subclasses whose message is a sentence.
                try (Client wrongKey = new Client(ClientConfigs.builder(config).accessKey(new Secret("wrong-key")).build())) {
                    wrongKey.enroll("u12345", null);
                    throw new IllegalStateException("a wrong access key was accepted");
                } catch (AuthCloudException.Unauthorized e) {
                    System.out.println("wrong key: " + e.getMessage() + " [kind " + e.kind() + ", transient " + e.isTransient()
                            + ", HTTP " + JavaAccess.httpStatus(e) + "]");
                    check(e.getMessage().startsWith("401 Unauthorized from POST /api/v1/users/enroll"), e.getMessage());
                }
            }
        }
        System.out.println("examples/java: passed");
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
