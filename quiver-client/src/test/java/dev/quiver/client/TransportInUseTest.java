package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quiver.client.testing.RunningStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The build runs the lifecycle, crash and cross-process classes a second time with {@code -Dquiver.transport=rings}:
 * this checks that the clients of such a run really are on the rings (and on the socket otherwise).
 */
class TransportInUseTest {
    @RegisterExtension
    static final RunningStore STORE = new RunningStore(1 << 20);

    @Test
    void clientsUseTheTransportTheSystemPropertyNames() {
        String chosen = System.getProperty(ClientOptions.TRANSPORT_PROPERTY, "socket");
        ClientOptions.Transport expected = ClientOptions.Transport.parse(chosen);
        assertThat(ClientOptions.defaults().transport()).isEqualTo(expected);
        assertThat(STORE.client().transport()).isEqualTo(expected);
    }

    @Test
    void anUnknownTransportIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> ClientOptions.Transport.parse("pigeon")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("socket or rings");
    }
}
