package dev.quiver.flight;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.auth2.Auth2Constants;
import org.apache.arrow.flight.auth2.AuthUtilities;
import org.apache.arrow.flight.auth2.CallHeaderAuthenticator;

/**
 * Flight's server-side header authentication ({@link CallHeaderAuthenticator}, run by Flight's
 * {@code ServerCallHeaderAuthMiddleware} on every call) with a fixed set of bearer tokens read from a file: a call
 * must carry {@code authorization: Bearer TOKEN} with one of them.
 */
final class TokenAuthenticator implements CallHeaderAuthenticator {
    private final List<byte[]> tokens;

    private TokenAuthenticator(List<byte[]> tokens) {
        this.tokens = tokens;
    }

    /**
     * Reads the tokens: one a line, surrounding blanks trimmed, blank lines and lines starting with {@code #} skipped.
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no token
     */
    static TokenAuthenticator fromFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--flight-tokens " + file + ": cannot read it: " + e.getMessage(), e);
        }
        List<byte[]> tokens = new ArrayList<>();
        for (String line : lines) {
            String t = line.strip();
            if (!t.isEmpty() && !t.startsWith("#")) {
                tokens.add(t.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("--flight-tokens " + file + " holds no token: write one token a line "
                    + "(lines starting with # are comments)");
        }
        return new TokenAuthenticator(List.copyOf(tokens));
    }

    @Override
    public AuthResult authenticate(CallHeaders headers) {
        String token = AuthUtilities.getValueFromAuthHeader(headers, Auth2Constants.BEARER_PREFIX);
        if (token == null) {
            throw CallStatus.UNAUTHENTICATED.withDescription("this Quiver endpoint needs a bearer token: send the "
                    + "header 'authorization: Bearer TOKEN' with a token from the store's --flight-tokens file")
                    .toRuntimeException();
        }
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < tokens.size(); i++) {
            if (MessageDigest.isEqual(tokens.get(i), given)) { // constant time: no timing hint about the tokens
                String identity = "token #" + (i + 1);
                return () -> identity;
            }
        }
        throw CallStatus.UNAUTHENTICATED.withDescription("the bearer token is not one of the store's "
                + "--flight-tokens").toRuntimeException();
    }
}
