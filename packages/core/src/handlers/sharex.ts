import { ImageStoreError } from '../errors.js';
import { contentDisposition } from '../filename.js';
import { jsonResponse } from '../http.js';
import type { HandlerContext } from './context.js';
import type { HandlerRequest, ImageHandlers } from './options.js';
import { failure, methodNotAllowed } from './respond.js';

/**
 * The `Version` of the configs served. ShareX migrates a config of 13.7.1 or older from its
 * old `$json:…$` syntax, which would escape the `{json:…}` below into literals
 * (`CustomUploaderItem.CheckBackwardCompatibility`); 15.0.0 parses them as they are.
 */
export const SHAREX_VERSION = '15.0.0';

/**
 * The `{json:…}` path of a thumbnail in the upload answer, used when a `thumb` variant
 * preset is configured: `variants.thumb`, the thumb variant's URL. Otherwise the thumbnail
 * is the image itself (`{json:url}`).
 */
export const SHAREX_THUMB_PATH = 'variants.thumb';

/** A ShareX custom uploader (`.sxcu`): the fields of ShareX's own `CustomUploaderItem`. */
export interface ShareXConfig {
  Version: string;
  Name: string;
  DestinationType: 'ImageUploader';
  RequestMethod: 'POST';
  RequestURL: string;
  Headers?: Record<string, string>;
  Body: 'MultipartFormData';
  FileFormName: string;
  URL: string;
  ThumbnailURL: string;
  DeletionURL: string;
  ErrorMessage: string;
}

// ShareX's syntax parser reads `{…}` as a function and `\` as an escape, in RequestURL and
// header values: a literal one must be escaped.
const literal = (value: string) => value.replace(/[\\{}]/g, '\\$&');

/**
 * `GET|HEAD /sharex.sxcu`: a ShareX custom uploader config that works as it is, built from
 * the public base URL (`publicBaseUrl`, or `X-Forwarded-*` with `trustProxy`): a relative
 * RequestURL would not work in ShareX, so without one the route answers 404 and says why.
 * With `apiKeys`, the config is served only to a request carrying a valid key (401/403
 * otherwise) and embeds that same key: a plain GET never hands out a working key.
 */
export function createShareXRoute(ctx: HandlerContext): ImageHandlers['sharex'] {
  return async function sharex(request: HandlerRequest, mountPath = ''): Promise<Response> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return methodNotAllowed('GET, HEAD');
    try {
      const key = await ctx.apiKey(request);
      const base = ctx.linkBase(request, mountPath);
      if (!/^https?:\/\//.test(base)) {
        throw new ImageStoreError('NOT_FOUND', '[imgstash] no public base URL for the ShareX config', {
          publicMessage:
            'The ShareX config needs the server’s public address: set publicBaseUrl (or trustProxy behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto).',
        });
      }
      const host = new URL(base).host;
      const config: ShareXConfig = {
        Version: SHAREX_VERSION,
        Name: ctx.options.title ?? host,
        DestinationType: 'ImageUploader',
        RequestMethod: 'POST',
        RequestURL: literal(`${base}${ctx.paths.upload}`),
        ...(key === undefined ? {} : { Headers: { Authorization: `Bearer ${literal(key)}` } }),
        Body: 'MultipartFormData',
        FileFormName: ctx.fieldName,
        URL: '{json:url}',
        ThumbnailURL: ctx.transforms?.presets.has('thumb') ? `{json:${SHAREX_THUMB_PATH}}` : '{json:url}',
        DeletionURL: '{json:deleteUrl}',
        ErrorMessage: '{json:error.message}',
      };
      const response = jsonResponse(200, config, {
        'content-disposition': contentDisposition('attachment', `${host.replace(/[^A-Za-z0-9.-]/g, '-')}.sxcu`),
      });
      return request.method === 'HEAD' ? new Response(null, response) : response;
    } catch (error) {
      return failure(error);
    }
  };
}
