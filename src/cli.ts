import { runCli } from './cli-program.js'
import type { CliIo } from './commands/io.js'
import { endQuietlyOnClosedPipe } from './util/pipe.js'

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: async () => {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
  stderrIsTTY: process.stderr.isTTY === true,
  env: process.env,
  now: () => new Date(),
}

endQuietlyOnClosedPipe(process.stdout, (code) => process.exit(code))

process.exitCode = await runCli(process.argv.slice(2), io)
