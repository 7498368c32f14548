-- disconnect Etsy shops: a copied database must never act on the real shops nor post to Discord
UPDATE etsy_shop
   SET keystring = NULL,
       shared_secret = NULL,
       discord_webhook_url = NULL,
       discord_ops_webhook_url = NULL,
       etsy_webhook_secret = NULL,
       state = 'draft';
DELETE FROM etsy_shop_token;
