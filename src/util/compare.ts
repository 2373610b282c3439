/**
 * Byte (UTF-16 code unit) order: the same on every machine and locale, unlike `localeCompare`,
 * so sorted output and golden files never depend on the ICU build.
 */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
