// The example ran to its end in the fresh project, and the README's flags left the JVM nothing to warn about.
def log = new File(basedir, 'build.log').getText('UTF-8')
def run = log.substring(Math.max(0, log.indexOf('exec-maven-plugin')))
assert run.contains('prices, zero-copy: [') : "the README's shelf example did not read its table back; see ${basedir}/build.log"
assert run =~ /(?m)^deleted \S+; then \d+ more$/ : "the README's shelf example did not run to its end; see ${basedir}/build.log"
def warnings = run.readLines().findAll { it.startsWith('WARNING: ') }
assert warnings.isEmpty() : "the JVM warned while running the README's shelf example with the README's flags: ${warnings}"
return true
