// The Go/gin service that reas replaces, as the benchmark's peer: gin + go-redis, the same routes and
// bodies (GET /ok -> "gin OK"; GET /count -> the value of the counter key, 0 when absent; POST /inc,
// POST /dec -> INCR/DECR; 200 with the number as plain text), plus GET /readyz (PING) so the bench can
// wait for it like for the other servers. Never shipped: it lives under bench/ (outside the image's
// build context) and is built by bench/lib/gin-peer.ts into a cache outside the repository.
//
// Env: PORT (5003), REDIS_URL (redis://127.0.0.1:6379), COUNTER_KEY (count),
// GIN_ENGINE (default | new): gin.Default(), with its Logger and Recovery middleware, as a typical
// service runs it; or gin.New(), the bare engine.
package main

import (
	"context"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

func env(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return fallback
}

func main() {
	port := env("PORT", "5003")
	key := env("COUNTER_KEY", "count")
	opts, err := redis.ParseURL(env("REDIS_URL", "redis://127.0.0.1:6379"))
	if err != nil {
		log.Fatalf("gin-peer: REDIS_URL: %v", err)
	}
	rdb := redis.NewClient(opts)

	gin.SetMode(gin.ReleaseMode)
	var r *gin.Engine
	switch engine := env("GIN_ENGINE", "default"); engine {
	case "default":
		r = gin.Default()
	case "new":
		r = gin.New()
	default:
		log.Fatalf("gin-peer: GIN_ENGINE must be default or new, got %q", engine)
	}

	reply := func(c *gin.Context, n int64, err error) {
		if err != nil {
			c.String(http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		c.String(http.StatusOK, strconv.FormatInt(n, 10))
	}
	r.GET("/ok", func(c *gin.Context) {
		c.String(http.StatusOK, "gin OK")
	})
	r.GET("/readyz", func(c *gin.Context) {
		if err := rdb.Ping(c.Request.Context()).Err(); err != nil {
			c.String(http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		c.String(http.StatusOK, "ready")
	})
	r.GET("/count", func(c *gin.Context) {
		n, err := rdb.Get(c.Request.Context(), key).Int64()
		if errors.Is(err, redis.Nil) {
			n, err = 0, nil
		}
		reply(c, n, err)
	})
	r.POST("/inc", func(c *gin.Context) {
		n, err := rdb.Incr(c.Request.Context(), key).Result()
		reply(c, n, err)
	})
	r.POST("/dec", func(c *gin.Context) {
		n, err := rdb.Decr(c.Request.Context(), key).Result()
		reply(c, n, err)
	})

	srv := &http.Server{Addr: "0.0.0.0:" + port, Handler: r}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatalf("gin-peer: %v", err)
		}
	}()
	<-ctx.Done()
	// Exit 0 on SIGTERM like the other servers, so the bench can tell a crash from its own stop.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Printf("gin-peer: shutdown: %v", err)
	}
	_ = rdb.Close()
}
