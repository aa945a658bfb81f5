/**
 * Names for containers started without --name, in the shape podman and docker give them
 * (adjective_noun), from word lists of our own: short, easy to type and to tell apart.
 */
import { randomInt } from '../sys/random.js'

const ADJECTIVES = [
  'agile', 'amber', 'ample', 'azure', 'bold', 'brave', 'brisk', 'calm', 'candid', 'clever', 'cosy', 'crisp', 'curious',
  'daring', 'deft', 'eager', 'early', 'earnest', 'fair', 'fancy', 'fervent', 'fond', 'frank', 'gentle', 'glad', 'golden',
  'happy', 'hardy', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'merry', 'mellow', 'modest',
  'nimble', 'noble', 'patient', 'plucky', 'polite', 'proud', 'quick', 'quiet', 'rapid', 'ready', 'serene', 'sharp',
  'shy', 'silent', 'sleek', 'smart', 'snug', 'steady', 'sunny', 'swift', 'tender', 'tidy', 'tranquil', 'upbeat', 'vivid',
  'warm', 'wise', 'witty', 'zealous',
]

const NOUNS = [
  'albatross', 'badger', 'beaver', 'bison', 'crane', 'cricket', 'dolphin', 'eagle', 'falcon', 'ferret', 'finch', 'fox',
  'gazelle', 'gecko', 'heron', 'hedgehog', 'ibis', 'jackal', 'jaguar', 'kestrel', 'kiwi', 'koala', 'lemur', 'lynx',
  'magpie', 'marmot', 'meerkat', 'mole', 'moose', 'newt', 'ocelot', 'otter', 'owl', 'panda', 'pelican', 'penguin',
  'puffin', 'quail', 'rabbit', 'raven', 'robin', 'salmon', 'seal', 'sparrow', 'squid', 'stork', 'swan', 'tapir',
  'tern', 'tiger', 'toucan', 'trout', 'turtle', 'urchin', 'vole', 'walrus', 'weasel', 'whale', 'wombat', 'wren',
  'yak', 'zebra',
]

export function generatedName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${NOUNS[randomInt(NOUNS.length)]}`
}
