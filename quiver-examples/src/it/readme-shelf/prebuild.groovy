// Copies the README's shelf example into this fresh project, as a user would, and its JVM flags into jvm.flags (a
// java argument file that the pom's exec:exec passes to java). Fails, saying what is missing, if it has neither.
def readme = new File(readme).getText('UTF-8')

def blocks = (readme =~ /(?ms)^```java\n(.*?)^```$/).collect { it[1] }
def shelf = blocks.find { it.contains('public class ShelfExample') }
assert shelf != null : "README.md has no ```java block with 'public class ShelfExample' to copy"
def source = new File(basedir, 'src/main/java/ShelfExample.java')
source.parentFile.mkdirs()
source.setText(shelf, 'UTF-8')

// The flags are the first column of the table in the README's section "JVM flags": | `--flag` | why |
def section = (readme =~ /(?ms)^### JVM flags.*?(?=^#{1,3} |\z)/).with { it.find() ? it.group() : '' }
def flags = section.readLines().findAll { it.startsWith('| `--') }.collect { (it =~ /^\| `([^`]+)`/)[0][1] }
assert !flags.isEmpty() : "README.md lists no JVM flags (no | `--flag` | why | rows in its section '### JVM flags')"
new File(basedir, 'jvm.flags').setText(flags.join('\n') + '\n', 'UTF-8')
println "fresh project: ShelfExample.java from README.md, run with ${flags.join(' ')}"
return true
