/** `tvunet <command>`: train, eval, segment, export. Any failure exits non-zero with one line. */
import { isTvunetError } from '../../src/errors.js';
import { EVAL_HELP, evalCommand } from './commands/eval.js';
import { EXPORT_HELP, exportCommand } from './commands/export.js';
import { SEGMENT_HELP, segmentCommand } from './commands/segment.js';
import { TRAIN_HELP, trainCommand } from './commands/train.js';

const USAGE = `tvunet <command> [options]

Commands:
  segment   segment CT slices with a model: masks, overlays, report   (tvunet segment --help)
  eval      score a model on image/mask pairs: Dice, IoU, PR curve     (tvunet eval --help)
  train     train TV-UNet weights on CT slices                         (tvunet train --help)
  export    write the model as an ONNX graph                           (tvunet export --help)

Run "tvunet <command> --help" for a command's options.`;

const commands: Record<string, { run: (argv: string[]) => Promise<void>; help: string }> = {
  segment: { run: segmentCommand, help: SEGMENT_HELP },
  eval: { run: evalCommand, help: EVAL_HELP },
  train: { run: trainCommand, help: TRAIN_HELP },
  export: { run: exportCommand, help: EXPORT_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { console.log(USAGE); return name ? 0 : 1; }
  const command = commands[name];
  if (!command) { console.error(`tvunet: unknown command "${name}" (train, eval, segment, export; see tvunet --help)`); return 2; }
  await command.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const msg = isTvunetError(e) ? `${e.message} [${e.code}]` : e instanceof Error ? e.message.split('\n')[0] : String(e);
    console.error(`tvunet: ${msg}`);
    process.exitCode = 1;
  },
);
