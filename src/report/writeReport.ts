// The one call that writes a report file, in the format its name asks for.
import { writeReportJson } from './json';
import type { LayeredReportInput, ReportInput } from './report';
import { writeReportSafetensors, type TensorPrecision } from './safetensors';

/** Whether a report file name asks for safetensors (else it is JSON). */
export function isSafetensorsFile(file: string): boolean {
  return file.toLowerCase().endsWith('.safetensors');
}

/** Writes `input` to `file`: safetensors (F32, or F16 for `precision` float16) by the name, else JSON; returns the bytes written. */
export function writeReport(file: string, input: ReportInput | LayeredReportInput, precision?: TensorPrecision): Promise<number> {
  return isSafetensorsFile(file) ? writeReportSafetensors(file, input, precision) : writeReportJson(file, input);
}
