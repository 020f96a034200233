package dev.quiver.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JvmFlagsTest {
    @Test
    void theDefaultsAreTheBuildsFlags() {
        String build = System.getProperty(JvmFlags.PROPERTY);
        assertThat(build).as("the build passes quiver.jvm.flags to the tests").isNotBlank();
        assertThat(JvmFlags.DEFAULT).as("JvmFlags.DEFAULT against the parent POM's quiver.jvm.flags; change both")
                .isEqualTo(Arrays.asList(build.strip().split("\\s+")));
    }

    @Test
    void aLauncherPassesOnWhatItWasGiven() {
        String saved = System.getProperty(JvmFlags.PROPERTY);
        try {
            System.setProperty(JvmFlags.PROPERTY, " --enable-native-access=ALL-UNNAMED  -Xss2m ");
            assertThat(JvmFlags.current()).containsExactly("--enable-native-access=ALL-UNNAMED", "-Xss2m");
            assertThat(JvmFlags.currentLine()).isEqualTo("--enable-native-access=ALL-UNNAMED -Xss2m");
            System.clearProperty(JvmFlags.PROPERTY);
            assertThat(JvmFlags.current()).isEqualTo(JvmFlags.DEFAULT);
        } finally {
            System.setProperty(JvmFlags.PROPERTY, saved);
        }
    }
}
