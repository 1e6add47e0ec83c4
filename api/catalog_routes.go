package api

import "github.com/gin-gonic/gin"

// catalogRoutes lists the catalog endpoints (placeholder until the domain lands).
func (s *Server) catalogRoutes(g *gin.RouterGroup) {}
