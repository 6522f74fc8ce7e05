import { getManyValues, isMany, none } from 'stream-chain/defs.js';
import { Assembler } from 'stream-json/core/assembler.js';
import { jsonParser } from 'stream-json/core/parser.js';
import { cutUtf8, recordCutMessage } from '../line/message.js';

type Token = { name: string; value?: unknown };

/**
 * Decodes one JSON document from the API server piece by piece (stream-json's tokenizer), keeping
 * at most `readBytes` of each Event `message`: a list page of Events with 1.5 MiB messages is
 * read without ever holding one of those messages whole. Messages are the `message` strings of
 * the objects at `eventDepth` (the root object is 1: 3 for a list's items, 2 for a watch line's
 * object). A cut message is recorded (`recordCutMessage`) so the written marker says how much
 * was cut. An eighth of JSON.parse's speed on ordinary Events, twice it on 1.4 MiB messages
 * (`bench/list-pages.mjs`), so only large documents go through it.
 */
export class EventJsonDecoder {
  private readonly tokenize = jsonParser({ packKeys: true, packStrings: false, packNumbers: true, streamKeys: false, streamNumbers: false });
  private readonly assembler = new Assembler();
  /** The string being read: its parts so far, and for a message its UTF-8 length. */
  private parts: string[] = [];
  private inMessage = false;
  private messageBytes = 0;
  private keptBytes = 0;

  /**
   * `keepItem`, when given, replaces each element of an array at `eventDepth - 1` (a list's
   * items) as soon as it is complete: a page of large objects is then never held whole.
   */
  constructor(
    private readonly eventDepth: number,
    private readonly readBytes: number,
    private readonly keepItem?: (item: unknown) => unknown,
  ) {}

  /** Takes the next piece of the document's text. Throws if it is not JSON. */
  write(text: string): void {
    this.consume(this.tokenize(text) as unknown);
  }

  /** The document, once all its text was written. Throws if it is incomplete. */
  end(): unknown {
    this.consume(this.tokenize(none as unknown as string) as unknown);
    if (!this.assembler.done) throw new Error('the JSON document ended early');
    return this.assembler.current;
  }

  private consume(output: unknown): void {
    if (output === none) return;
    const tokens = (isMany(output) ? getManyValues(output) : [output]) as Token[];
    for (const token of tokens) {
      switch (token.name) {
        case 'startString':
          this.parts = [];
          this.inMessage = this.assembler.key === 'message' && this.assembler.depth === this.eventDepth;
          this.messageBytes = this.keptBytes = 0;
          break;
        case 'stringChunk':
          this.stringChunk(token.value as string);
          break;
        case 'endString':
          this.endString();
          break;
        default: {
          const closesItem = this.keepItem !== undefined && token.name === 'endObject' && this.assembler.depth === this.eventDepth;
          this.assembler.consume(token as never);
          const holder = this.assembler.current as unknown;
          if (closesItem && Array.isArray(holder)) holder[holder.length - 1] = this.keepItem!(holder[holder.length - 1]);
        }
      }
    }
  }

  private stringChunk(chunk: string): void {
    if (!this.inMessage) {
      this.parts.push(chunk);
      return;
    }
    const bytes = Buffer.byteLength(chunk, 'utf8');
    this.messageBytes += bytes;
    // Keep parts until the kept text passes readBytes; after that only the length is counted.
    if (this.keptBytes <= this.readBytes) {
      this.parts.push(chunk);
      this.keptBytes += bytes;
    }
  }

  private endString(): void {
    const text = this.parts.length === 1 ? this.parts[0]! : this.parts.join('');
    this.parts = [];
    if (!this.inMessage || this.messageBytes <= this.readBytes) {
      this.assembler.consume({ name: 'stringValue', value: text } as never);
      return;
    }
    const holder = this.assembler.current as object;
    this.assembler.consume({ name: 'stringValue', value: cutUtf8(text, this.readBytes)?.kept ?? text } as never);
    recordCutMessage(holder, this.messageBytes);
    this.inMessage = false;
  }
}
