// The naive recipe, as the reference: the one-file image host that tutorials and
// assistants write. Express, multer with memoryStorage, PutObject with the AWS SDK's
// defaults, and a HEAD plus a fresh presign on every view. Kept deliberately as it is
// usually written: the bench measures what imgstash improves on.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import express from 'express';
import multer from 'multer';

/** The recipe's app, on the given bucket and endpoint. */
export function naiveApp({ bucket, endpoint, region, credentials, maxBytes }) {
  const s3 = new S3Client({ region, endpoint, credentials, forcePathStyle: true });
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: maxBytes } });
  const app = express();

  app.post('/upload', upload.single('file'), async (req, res) => {
    try {
      const key = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: req.file.buffer,
          ContentType: req.file.mimetype,
          Metadata: { originalname: req.file.originalname },
        }),
      );
      res.json({ id: key, pageUrl: `${req.protocol}://${req.get('host')}/i/${key}` });
    } catch (error) {
      res.status(500).json({ error: String(error) });
    }
  });

  app.get('/i/:id', async (req, res) => {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: req.params.id }));
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: req.params.id }), {
        expiresIn: 3600,
      });
      res.redirect(url);
    } catch {
      res.status(404).send('Not found');
    }
  });

  return app;
}
