/**
 * Ends the process quietly when the reader of stdout goes away (`scopedown ... | head`), as the
 * AWS CLI does: nothing more can be written, so there is nothing to report and the exit is 0.
 */
export function endQuietlyOnClosedPipe(
  stream: NodeJS.WriteStream,
  exit: (code: number) => void,
): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') exit(0)
    else throw error
  })
}
