package app

import (
	"context"

	"github.com/gin-gonic/gin"
)

// wireFrontend mounts the web pages on the engine (placeholder until they land).
func (a *App) wireFrontend(ctx context.Context, engine *gin.Engine) error { return nil }
