package api

import "github.com/gin-gonic/gin"

// paymentsRoutes lists the payments endpoints (placeholder until the domain lands).
func (s *Server) paymentsRoutes(g *gin.RouterGroup) {}
